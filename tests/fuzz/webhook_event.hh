#pragma once

// What the webhook fuzzer and its regression test do with one input: the
// selector byte picks a forge and an event, the body goes through the parsers
// the server calls for it. A result that breaks the parsers' promises traps.

#include <cstdint>
#include <string_view>

#include "server/webhook.hh"

namespace cwf::fuzz {

inline void deliver(std::uint8_t selector, std::string_view body) {
  using server::Forge;
  struct Event {
    Forge forge;
    const char* name;
  };
  static const Event events[] = {{Forge::github, "push"}, {Forge::github, "status"}, {Forge::github, "check_run"},
                                 {Forge::gitlab, "Push Hook"}, {Forge::gitlab, "Pipeline Hook"}};
  const Event& e = events[selector % 5];
  if (server::is_status_event(e.forge, e.name)) {
    auto hint = server::parse_status_event(e.forge, e.name, body);
    // A hint always names a repository and a full SHA.
    if (hint && (hint->repository.empty() || hint->sha.size() != 40)) __builtin_trap();
  } else {
    server::parse_push(e.forge, body);
  }
}

}  // namespace cwf::fuzz
