// Runs tools/testenv/ctl of this tree, for the tests of an outage of one server of
// the environment tools/testenv/up started (docs/testing.md): stop it, start it
// again, ask which address it has. Needs PRIMESYNC_SOURCE_DIR defined for ctl.cpp.
#pragma once

#include <string>

namespace primesync::testenv {

struct CtlResult {
  int exit_status = -1;  // -1: did not finish before the deadline (then killed)
  std::string out;       // its stdout; its stderr goes to ours
};

// tools/testenv/ctl SERVICE COMMAND, e.g. ("kafka", "stop") or ("mongodb", "uri").
// Waits for it up to a deadline longer than its own readiness wait (a test failure
// and a killed script past it). The servers it starts inherit no socket of ours.
[[nodiscard]] CtlResult run_testenv_ctl(const std::string& service, const std::string& command);

}  // namespace primesync::testenv
