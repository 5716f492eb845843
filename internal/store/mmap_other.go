//go:build !unix

package store

import "os"

// mapFile reads the whole file where mmap is not wired up.
func mapFile(path string) (data []byte, unmap func(), err error) {
	data, err = os.ReadFile(path)
	return data, func() {}, err
}
