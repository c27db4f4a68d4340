package modeldir

import (
	"fmt"

	"github.com/dpokit/dpokit/tokenize"
)

// OpenPair opens a policy and, unless refDir is "" (ref is then nil), a
// reference whose log-probs are comparable with the policy's: the same
// tokenizer and vocabulary. It returns the policy's tokenizer.
func OpenPair(policyDir, refDir string) (policy, ref *Dir, tok *tokenize.Tokenizer, err error) {
	if policy, err = Open(policyDir); err != nil {
		return nil, nil, nil, fmt.Errorf("policy: %w", err)
	}
	if tok, err = tokenize.Load(policyDir); err != nil {
		return nil, nil, nil, fmt.Errorf("policy tokenizer: %w", err)
	}
	if refDir == "" {
		return policy, nil, tok, nil
	}
	if ref, err = Open(refDir); err != nil {
		return nil, nil, nil, fmt.Errorf("reference: %w", err)
	}
	refTok, err := tokenize.Load(refDir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reference tokenizer: %w", err)
	}
	if refTok.Fingerprint() != tok.Fingerprint() {
		return nil, nil, nil, fmt.Errorf("policy %s and reference %s have different tokenizers: their log-probs are not comparable", policyDir, refDir)
	}
	if ref.Signature.Vocab != policy.Signature.Vocab {
		return nil, nil, nil, fmt.Errorf("policy vocabulary %d differs from reference vocabulary %d", policy.Signature.Vocab, ref.Signature.Vocab)
	}
	return policy, ref, tok, nil
}

// Context returns the model's context length from config.json
// (max_position_embeddings, n_positions or n_ctx), or 0 when unknown.
func (d *Dir) Context() int {
	n, _ := d.ConfigInt("max_position_embeddings", "n_positions", "n_ctx")
	return n
}
