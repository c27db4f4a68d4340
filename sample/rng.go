package sample

import "math/rand/v2"

// rowRNG is the random source of sample j of prompt i: a PCG seeded from
// (seed, i, j) alone, so a completion's draws do not depend on the batch it
// was decoded in.
func rowRNG(seed uint64, prompt, sample int) *rand.Rand {
	a := splitmix(seed ^ 0x6a09e667f3bcc908)
	b := splitmix(a + uint64(prompt))
	c := splitmix(b ^ splitmix(uint64(sample)+0xbb67ae8584caa73b))
	return rand.New(rand.NewPCG(b, c))
}

// splitmix is SplitMix64's finaliser: a bijective mix of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
