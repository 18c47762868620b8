package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// processAlive reports whether pid is a live (not zombie) process.
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// envProcesses returns the live host processes of the execution environment whose
// log stream is stream (its AWS_LAMBDA_LOG_STREAM_NAME), in any sandbox: a
// container's processes are host processes too.
func envProcesses(stream string) []int {
	ents, _ := os.ReadDir("/proc")
	want := []byte("\x00AWS_LAMBDA_LOG_STREAM_NAME=" + stream + "\x00")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(append([]byte{0}, b...), want) {
			continue
		}
		if processAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}
