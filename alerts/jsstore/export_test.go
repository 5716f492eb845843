package jsstore

// SetMaxCommandBytes sets the bound of a commit command for a test and
// returns a function that restores it.
func SetMaxCommandBytes(n int) (restore func()) {
	old := maxCommandBytes
	maxCommandBytes = n
	return func() { maxCommandBytes = old }
}
