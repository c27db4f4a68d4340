package cli

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// permute moves the flags of the command a command line runs before its
// positional arguments, so that flags may come after them
// (`dpokit models inspect DIR --json`); urfave/cli stops reading flags at
// the first positional argument. Everything after "--" stays positional.
// args[0] is the program name.
func permute(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	// Global flags, then the command and subcommand names.
	n := flagPrefix(app.Flags, rest)
	out, rest = append(out, rest[:n]...), rest[n:]
	cmds := app.Commands
	var cmd *cli.Command
	for len(rest) > 0 {
		i := slices.IndexFunc(cmds, func(c *cli.Command) bool { return c.HasName(rest[0]) })
		if i < 0 {
			break
		}
		cmd, cmds = cmds[i], cmds[i].Subcommands
		out, rest = append(out, rest[0]), rest[1:]
	}
	if cmd == nil {
		return append(out, rest...)
	}
	flags, pos := split(cmd.Flags, rest)
	out = append(out, flags...)
	if slices.ContainsFunc(pos, func(a string) bool { return strings.HasPrefix(a, "-") && a != "-" }) {
		out = append(out, "--")
	}
	return append(out, pos...)
}

// flagPrefix returns how many leading args are flags (with their values).
func flagPrefix(defs []cli.Flag, args []string) int {
	i := 0
	for i < len(args) && isFlag(args[i]) {
		i += 1 + takesValue(defs, args[i])
	}
	return min(i, len(args))
}

// split separates flags (with their values) from positional arguments.
func split(defs []cli.Flag, args []string) (flags, pos []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(pos, args[i+1:]...)
		case !isFlag(a):
			pos = append(pos, a)
		default:
			flags = append(flags, a)
			if takesValue(defs, a) == 1 && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return flags, pos
}

func isFlag(a string) bool { return strings.HasPrefix(a, "-") && a != "-" && a != "--" }

// takesValue is 1 when the flag a (as written) is a defined non-boolean
// flag given without "=value", else 0. Unknown flags are left for the
// parser to report.
func takesValue(defs []cli.Flag, a string) int {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return 0
	}
	for _, f := range defs {
		if !slices.Contains(f.Names(), name) {
			continue
		}
		if _, ok := f.(*cli.BoolFlag); ok {
			return 0
		}
		return 1
	}
	return 0
}
