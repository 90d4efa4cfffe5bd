// Placeholder until the HTTP server lands (being written now).
#include "cli/commands.h"
namespace lode::cli {
int RunServe(int, char**) { return 2; }
}  // namespace lode::cli
