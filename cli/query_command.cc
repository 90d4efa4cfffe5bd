// Placeholder until the query component lands (being written now).
#include "cli/commands.h"
namespace lode::cli {
int RunQuery(int, char**) { return 2; }
}  // namespace lode::cli
