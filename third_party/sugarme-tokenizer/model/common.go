package model

type Vocab map[string]int
type VocabR map[int]string
