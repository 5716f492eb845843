package news

// Change is one entry of the article log: an article put at Seq (Article
// set) or a deletion of ID at Seq (Deleted set). It is the unit every
// implementation of the article log hands out, in sequence order.
type Change struct {
	Seq     uint64
	ID      string
	Deleted bool
	Article *Article
}
