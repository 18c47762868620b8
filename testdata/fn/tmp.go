package main

import (
	"encoding/json"
	"os"
	"syscall"
)

// tmpDisk runs the "tmp" mode, for the tests of /tmp: it lists /tmp as it found
// it, writes MB megabytes to /tmp/<Name> (kept, so that the environment's next
// invocation sees it; removed if the write fails, so that the function can go
// on) and reports statfs of /tmp. With Exit it only exits the runtime, which
// ends the environment.
func tmpDisk(ev json.RawMessage) (any, error) {
	var in struct {
		MB   int
		Name string
		Exit bool
	}
	json.Unmarshal(ev, &in) //nolint:errcheck
	if in.Exit {
		os.Exit(1)
	}
	if in.Name == "" {
		in.Name = "data"
	}
	out := map[string]any{}
	ents, err := os.ReadDir("/tmp")
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	out["entries"] = names
	if in.MB > 0 {
		n, werr := writeMB("/tmp/"+in.Name, in.MB)
		out["mb"] = n
		if werr != nil {
			out["error"] = werr.Error()
			os.Remove("/tmp/" + in.Name)
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs("/tmp", &st); err != nil {
		return nil, err
	}
	out["tmpBytes"] = int64(st.Blocks) * st.Bsize
	return out, nil
}

// writeMB writes mb megabytes to path, returning how many it wrote whole.
func writeMB(path string, mb int) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i) // not all zeros: nothing may store it as a hole
	}
	n := 0
	for ; n < mb; n++ {
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return n, err
		}
	}
	// Close reports what writeback failed to place, as ENOSPC can come late.
	return n, f.Close()
}
