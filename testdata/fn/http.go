package main

import (
	"net/http"
	"strings"
)

var httpClient = &http.Client{}

func newPost(url, body string) (*http.Request, error) {
	return http.NewRequest(http.MethodPost, url, strings.NewReader(body))
}
