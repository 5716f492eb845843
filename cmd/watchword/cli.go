package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

const rootLong = `watchword: full-text search and alerting for news.

Flags may come before or after the arguments ('watchword search oil --size 2');
'--' ends the flags ('watchword search -- -oil'). Every flag can also be set
as an environment variable WATCHWORD_<FLAG> (upper case, dashes as
underscores), for example WATCHWORD_TOKEN or WATCHWORD_DATA; a flag on the
command line wins. Run 'watchword CMD -h' for the flags of one command.

Exit status: 0 success, 1 failure, 2 usage error (unknown command or flag,
missing or extra arguments, a flag value that does not parse).`

// version and commit are set at build time with
// -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

// Exit statuses, as documented in rootLong and the README.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	if args == nil {
		args = []string{} // cobra reads os.Args when args is nil
	}
	root.SetArgs(longFlags(root, args))
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	name := "watchword"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s: %v\nRun '%s -h' for usage.\n", name, err, name)
		return exitUsage
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return exitFailure
}

// newRootCmd builds the command tree. Every command's RunE reports a bad
// command line as a usageError (exit 2) and anything else as a plain
// error (exit 1).
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "watchword",
		Short:         "Full-text search and alerting for news",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          unknownCommand,
		RunE: func(c *cobra.Command, args []string) error {
			fmt.Fprint(c.ErrOrStderr(), c.UsageString())
			return usageError{errors.New("name a command")}
		},
		// Flags not given on the command line come from WATCHWORD_<FLAG>.
		// Only the root sets this hook, so it runs for every command.
		PersistentPreRunE: func(c *cobra.Command, args []string) error {
			return applyEnv(c.Flags())
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.DisableDefaultCmd = true
	defer root.InitDefaultHelpCmd() // 'watchword help CMD', added now so the tree is complete
	root.AddCommand(
		newServeCmd(stdout, stderr),
		newIngestCmd(stdout, stderr),
		newSearchCmd(stdout, stderr),
		newReindexCmd(stdout, stderr),
		newExtractCmd(stdout, stderr),
		newBenchCmd(stdout, stderr),
		newAlertsCmd(stdout),
		newFeedsCmd(stdout),
		newKeysCmd(stdout),
		newBackupCmd(stdout),
		newRestoreCmd(stdout),
		newHealthcheckCmd(stdout),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version, commit and Go version",
			Args:  noArgs,
			RunE: func(*cobra.Command, []string) error {
				fmt.Fprintf(stdout, "watchword %s (commit %s, %s)\n", version, commit, runtime.Version())
				return nil
			},
		},
	)
	return root
}

// groupCmd is a command that only holds sub-commands: run without one it
// is a usage error.
func groupCmd(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(c, args)
			}
			fmt.Fprint(c.ErrOrStderr(), c.UsageString())
			var names []string
			for _, s := range c.Commands() {
				if s.IsAvailableCommand() {
					names = append(names, s.Name())
				}
			}
			return usageError{fmt.Errorf("want a sub-command: %s", strings.Join(names, ", "))}
		},
	}
	c.AddCommand(subs...)
	return c
}

// unknownCommand is the Args check of commands whose arguments can only be
// sub-command names.
func unknownCommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return usageError{errors.New(msg)}
}

// Positional argument checks that report a usage error (exit 2).
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("takes no arguments, got %q", args)}
	}
	return nil
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("want %s, got %d arguments", what, len(args))}
		}
		return nil
	}
}

func minArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError{fmt.Errorf("name at least %s", what)}
		}
		return nil
	}
}

type usageError struct{ error }

// envName is the environment variable of a flag.
func envName(flag string) string {
	return "WATCHWORD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv fills every flag not given on the command line from
// WATCHWORD_<NAME> (upper case, dashes as underscores).
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" || err != nil {
			return
		}
		env := envName(f.Name)
		if v, ok := os.LookupEnv(env); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageError{fmt.Errorf("%s=%q: %w", env, v, e)}
			}
		}
	})
	return err
}

var singleDashLong = regexp.MustCompile(`^-([a-z][a-z0-9-]+)(=.*)?$`)

// longFlags rewrites -name to --name where name is a long flag of the
// command args select: the standard library's flag package, which
// Watchword used before, accepted both, and scripts may still say -data.
func longFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if m := singleDashLong.FindStringSubmatch(a); m != nil && cmd.Flags().Lookup(m[1]) != nil {
			out[i] = "-" + a
		}
	}
	return out
}

// setGCPercent applies --gc-percent unless the GOGC environment variable
// is set (the runtime has read that already). Ingest allocates heavily;
// collecting at 200% instead of 100% measured about 10% faster bulk
// ingest for about 120 MiB more peak memory on Reuters-21578.
func setGCPercent(percent int) {
	if _, ok := os.LookupEnv("GOGC"); ok || percent <= 0 {
		return
	}
	debug.SetGCPercent(percent)
}

// newLogger builds the process logger.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: want text or json", format)}
}
