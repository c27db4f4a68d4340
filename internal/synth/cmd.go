package synth

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Main runs `synth COMMAND [flags]` and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	cmds := map[string]func([]string) error{
		"tokenizer":    cmdTokenizer,
		"reward-model": cmdRewardModel,
		"corpus":       cmdCorpus,
		"prompts":      cmdPrompts,
		"label":        cmdLabel,
		"best-of":      cmdBestOfFile,
		"collect":      cmdCollect,
	}
	if len(args) == 0 || cmds[args[0]] == nil {
		fmt.Fprintln(stderr, "usage: synth tokenizer DIR | reward-model DIR | corpus | prompts | label | best-of | collect (see -h of each)")
		return 2
	}
	if err := cmds[args[0]](args[1:]); err != nil {
		fmt.Fprintln(stderr, "synth:", err)
		return 1
	}
	return 0
}

// cmdTokenizer writes the task's tokenizer into a model directory and sets
// the BOS/EOS/pad ids of its config.json and generation_config.json.
func cmdTokenizer(args []string) error {
	fs := flag.NewFlagSet("tokenizer", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return fmt.Errorf("usage: synth tokenizer DIR")
	}
	dir := fs.Arg(0)
	_, eos, err := WriteTokenizer(dir)
	if err != nil {
		return err
	}
	for _, name := range []string{"config.json", "generation_config.json"} {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		var cfg map[string]any
		if err := json.Unmarshal(b, &cfg); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		cfg["bos_token_id"], cfg["eos_token_id"], cfg["pad_token_id"] = eos, eos, eos
		out, _ := json.MarshalIndent(cfg, "", "  ")
		if err := os.WriteFile(p, append(out, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func cmdRewardModel(args []string) error {
	fs := flag.NewFlagSet("reward-model", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return fmt.Errorf("usage: synth reward-model DIR")
	}
	return WriteRewardModel(fs.Arg(0))
}
