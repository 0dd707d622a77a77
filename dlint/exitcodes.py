"""dlint's exit codes, one table for every command (the README documents them)."""

OK = 0
FINDINGS = 1  # check: a finding at or above the failure threshold; analyse: a budget failed
USAGE = 2  # usage error, unreadable input, unreachable engine, internal error
BUILD_FAILED = 3  # analyse: the image build failed
INTERRUPTED = 130
STDOUT_CLOSED = 141  # the reader of stdout went away (`| head`): what a shell reports for a tool SIGPIPE ended
