// The `lode` subcommands. Each takes the arguments after the subcommand name and returns the
// process exit code: 0 success, 1 partial failure (e.g. rejected input lines), 2 usage or I/O
// error.
#pragma once

namespace lode::cli {

int RunCompact(int argc, char** argv);
int RunDelete(int argc, char** argv);
int RunIngest(int argc, char** argv);
int RunQuery(int argc, char** argv);
int RunRetention(int argc, char** argv);
int RunServe(int argc, char** argv);
int RunStats(int argc, char** argv);

}  // namespace lode::cli
