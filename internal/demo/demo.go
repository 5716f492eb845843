// Package demo embeds the demo corpus: original articles written for
// Watchword (fictional events), loaded by `watchword serve --demo`.
package demo

import _ "embed"

// Articles is the demo corpus as NDJSON.
//
//go:embed articles.jsonl
var Articles []byte
