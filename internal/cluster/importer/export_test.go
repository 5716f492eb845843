package importer

// SetAfterBatch injects a hook run after each article batch (tests only).
func SetAfterBatch(o *Options, fn func(n int) error) { o.afterBatch = fn }
