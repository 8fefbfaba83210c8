#pragma once
// Each verb of the `holdup` command lives in its own verb_*.cpp and adds
// itself to the registry with a static HOLDUP_REGISTER_VERB, so verbs can be
// added without touching main.cpp.

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace holdup::cli {

// Adds the verb's subcommand to `app`. The subcommand's callback (set with
// final_callback or callback) does the work and stores the process exit
// code through `exit_code`.
using VerbSetup = std::function<void(CLI::App& app, int& exit_code)>;

struct VerbEntry {
  std::string name;
  int order;  // position in --help
  VerbSetup setup;
};

std::vector<VerbEntry>& verb_registry();

struct VerbRegistrar {
  VerbRegistrar(std::string name, int order, VerbSetup setup) {
    verb_registry().push_back({std::move(name), order, std::move(setup)});
  }
};

}  // namespace holdup::cli

#define HOLDUP_REGISTER_VERB(name, order, fn) \
  static ::holdup::cli::VerbRegistrar holdup_verb_registrar_##name(#name, order, fn)
