// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// p2pnet: the installed command-line tool (docs/cli.md).
//   p2pnet keygen [--out PATH] [--force]
//   p2pnet pubkey [--peer-id] KEYFILE
//   p2pnet serve KEYFILE [--host ADDR] [--port N] [--allow PUBKEY]... [limits] [--keylog FILE]
//   [--verbose]
//   p2pnet connect KEYFILE SERVER_PUBKEY [--host ADDR] [--port N] [--timeout SECONDS]
//   [--keylog FILE] [--verbose]
//   p2pnet connect KEYFILE --libp2p MULTIADDR [--timeout SECONDS]
// Conventions: --help/-h on standard output with exit 0, --version, "--opt value" and
// "--opt=value"; usage errors on standard error with exit 2, runtime failures on
// standard error with exit 1, both prefixed with the program name. Logs go to
// standard output, timestamped (UTC, ISO 8601) when it is not a terminal, with full
// public keys and peer text escaped. The programs themselves are tools/common, shared
// with the example programs 08, 10 and 11.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "key_log_file.h"
#include "output.h"
#include "p2pnet/key_log.h"
#include "p2pnet/log.h"
#include "parse.h"
#include "programs.h"

namespace {

using p2pnet::tools::Output;
using p2pnet::tools::Style;

constexpr int kUsageError = 2;

// Validators: each checks with the same parser that converts the value later.
CLI::Validator number(unsigned long long min, unsigned long long max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        const auto value = p2pnet::tools::parse_unsigned(text, max);
        if (!value || *value < min)
          return "needs a whole number " + std::to_string(min) + ".." + std::to_string(max);
        return "";
      },
      "UINT");
}

const CLI::Validator kSeconds(
    [](std::string& text) -> std::string {
      return p2pnet::tools::parse_seconds(text)
                 ? ""
                 : "needs a positive number of seconds (at most 86400)";
    },
    "SECONDS");

const CLI::Validator kPublicKey(
    [](std::string& text) -> std::string {
      return p2pnet::decode_public_key(text)
                 ? ""
                 : "'" + text + "' is not a valid 43-character public key";
    },
    "PUBKEY");

// keys_as_positionals returns the arguments after the program name, in order, except
// that a public key given as a positional of |command| (connect's SERVER_PUBKEY) that
// starts with '-' (one key in 64 does; one in 4096 starts with "--") is moved behind a
// "--", with the positionals after it, so that CLI11 does not take it for an option
// ("-pmrP..." would be "-p mrP..."). A token counts as such a key when it is a valid
// 43-character key and not the value of the option before it. Nothing changes when
// the command line already has a "--" or no such key.
std::vector<std::string> keys_as_positionals(int argc, char** argv, const CLI::App& command) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto start = std::find_if(args.begin(), args.end(),
                            [](const std::string& a) { return a.empty() || a[0] != '-'; });
  if (start == args.end() || *start != command.get_name()) return args;
  ++start;
  if (std::find(start, args.end(), "--") != args.end()) return args;
  std::vector<std::string> options, positionals;
  bool moved = false;
  for (auto it = start; it != args.end(); ++it) {
    const std::string& arg = *it;
    if (arg.size() > 1 && arg[0] == '-' && p2pnet::decode_public_key(arg)) {
      positionals.push_back(arg);
      moved = true;
    } else if (arg.size() < 2 || arg[0] != '-') {
      positionals.push_back(arg);
    } else {
      options.push_back(arg);
      // "--opt value", "-o value": the value is the next argument, whatever it looks
      // like ("--opt=value" and "-ovalue" carry their own).
      if (arg.find('=') != std::string::npos || (arg.size() > 2 && arg[1] != '-')) continue;
      const CLI::Option* option = command.get_option_no_throw(arg);
      if (option != nullptr && option->get_type_size_max() > 0 && std::next(it) != args.end()) {
        options.push_back(*++it);
      }
    }
  }
  if (!moved) return args;
  std::vector<std::string> rewritten(args.begin(), start);
  rewritten.insert(rewritten.end(), options.begin(), options.end());
  rewritten.push_back("--");
  rewritten.insert(rewritten.end(), positionals.begin(), positionals.end());
  return rewritten;
}

std::size_t to_size(const std::string& text) {
  return static_cast<std::size_t>(*p2pnet::tools::parse_unsigned(text, ~0ull));
}

// Observability shared by serve and connect: the library's log hook printed as log
// lines (refusals always, everything with --verbose) and the optional key log.
struct Observability {
  std::string keylog_path;
  bool verbose = false;
  p2pnet::LogHook log_hook;
  std::unique_ptr<p2pnet::tools::KeyLogFile> key_log;

  // start installs both; returns false after reporting why the key log cannot be used.
  bool start(const Output& out) {
    log_hook = [&out, verbose = verbose](p2pnet::LogLevel level, std::uint64_t id,
                                         std::string_view message) {
      if (!verbose && level < p2pnet::LogLevel::kWarning) return;
      static constexpr const char* kTags[] = {"[DEBUG]", "[INFO]", "[WARN]", "[ERROR]"};
      out.line(std::string(kTags[static_cast<int>(level)]) + " connection " +
               p2pnet::net::connection_id_text(id) + ": " + std::string(message));
    };
    if (keylog_path.empty()) {
      // The environment is read here, by the tool, never by the library.
      if (const char* path = std::getenv("P2PNET_KEYLOGFILE"); path != nullptr) keylog_path = path;
    }
    if (keylog_path.empty()) return true;
    if (!p2pnet::key_log_available()) {
      out.fail(
          "this p2pnet was built without the key log (-DP2PNET_KEY_LOG=OFF); --keylog is refused");
      return false;
    }
    std::string error;
    key_log = p2pnet::tools::KeyLogFile::open(keylog_path, &error);
    if (!key_log) {
      out.fail(error);
      return false;
    }
    out.warn("writing session keys to " + keylog_path +
             ": anyone who reads it can decrypt these sessions (debugging only)");
    return true;
  }
  const p2pnet::KeyLogHook* key_log_hook() const { return key_log ? &key_log->hook() : nullptr; }
};

void add_observability(CLI::App* command, Observability* obs) {
  command
      ->add_option(
          "--keylog", obs->keylog_path,
          "Append each session's traffic keys to FILE (mode 0600) for decrypting captures. "
          "DANGEROUS: the file decrypts the sessions. Default: $P2PNET_KEYLOGFILE")
      ->option_text("FILE");
  command->add_flag("-v,--verbose", obs->verbose,
                    "Also log handshake starts, completions and failures");
}

}  // namespace

// run is the tool; main only turns an escaping exception (out of memory, say) into a
// runtime failure with the usual prefix instead of std::terminate.
static int run(int argc, char** argv) {
  CLI::App app{
      "p2pnet: identities, an echo server and a client for the P2PNet secure channel (docs/cli.md)",
      "p2pnet"};
  app.set_version_flag("--version", std::string("p2pnet ") + P2PNET_TOOL_VERSION);
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);

  // keygen
  p2pnet::tools::KeygenSettings keygen;
  CLI::App* keygen_cmd =
      app.add_subcommand("keygen", "Create an identity file (mode 0600) and print its public key");
  keygen_cmd->add_option("-o,--out", keygen.path, "Where to write the identity [identity.key]")
      ->option_text("PATH");
  keygen_cmd->add_flag("-f,--force", keygen.force,
                       "Replace an existing file (whole or not at all)");

  // pubkey
  std::string pubkey_path;
  bool pubkey_peer_id = false;
  CLI::App* pubkey_cmd =
      app.add_subcommand("pubkey", "Print the 43-character public key of an identity file");
  pubkey_cmd->add_option("KEYFILE", pubkey_path, "Identity file")->required();
  pubkey_cmd->add_flag("--peer-id", pubkey_peer_id,
                       "Print the libp2p peer ID (12D3KooW...) instead of the key");

  // serve
  p2pnet::tools::ServeSettings serve;
  std::string serve_port = "8080", handshake_timeout, idle_timeout, max_message, max_handshakes,
              max_per_address, max_connections, workers, frame_timeout, max_connections_per_address,
              limits_above;
  std::vector<std::string> allow;
  Observability serve_obs;
  CLI::App* serve_cmd =
      app.add_subcommand("serve", "Run the echo server: authenticate clients, echo their messages");
  serve_cmd->add_option("KEYFILE", serve.key_path, "The server's identity file")->required();
  serve_cmd->add_option("--host", serve.host, "Address to listen on [127.0.0.1]")
      ->option_text("ADDR");
  serve_cmd
      ->add_option("-p,--port", serve_port, "Port, 0 for any free one (shown in the log) [8080]")
      ->check(number(0, 65535))
      ->option_text("N");
  serve_cmd->add_option("--allow", allow, "Accept only these client keys (repeat the option)")
      ->check(kPublicKey)
      ->option_text("PUBKEY");
  serve_cmd->add_option("--handshake-timeout", handshake_timeout, "Handshake deadline [10]")
      ->check(kSeconds)
      ->option_text("SECONDS");
  serve_cmd->add_option("--idle-timeout", idle_timeout, "Close a silent session after this [300]")
      ->check(kSeconds)
      ->option_text("SECONDS");
  serve_cmd
      ->add_option("--frame-timeout", frame_timeout,
                   "A frame a client has started must be whole within this [30]")
      ->check(kSeconds)
      ->option_text("SECONDS");
  serve_cmd->add_option("--max-message", max_message, "Largest message [1048576]")
      ->check(number(1, p2pnet::kMaxMessageSizeLimit))
      ->option_text("BYTES");
  serve_cmd->add_option("--max-handshakes", max_handshakes, "Concurrent handshakes [256]")
      ->check(number(1, 1'000'000))
      ->option_text("N");
  serve_cmd
      ->add_option("--max-handshakes-per-address", max_per_address,
                   "Per IPv4 address or IPv6 /64, under pressure [8]")
      ->check(number(1, 1'000'000))
      ->option_text("N");
  serve_cmd
      ->add_option("--max-connections-per-address", max_connections_per_address,
                   "Handshakes and sessions per IPv4 address or IPv6 /64, under pressure [32]")
      ->check(number(1, 1'000'000))
      ->option_text("N");
  serve_cmd
      ->add_option("--per-address-limits-above", limits_above,
                   "Apply the per-address limits only above this % of the bounds [50]")
      ->check(number(0, 100))
      ->option_text("PERCENT");
  serve_cmd->add_option("--max-connections", max_connections, "Handshakes and sessions [1024]")
      ->check(number(1, 1'000'000))
      ->option_text("N");
  serve_cmd
      ->add_option("--workers", workers, "Servers on the port, one thread each (SO_REUSEPORT) [1]")
      ->check(number(1, 256))
      ->option_text("N");
  add_observability(serve_cmd, &serve_obs);

  // connect
  p2pnet::tools::ConnectSettings connect;
  std::string server_key, connect_port = "8080", timeout;
  Observability connect_obs;
  CLI::App* connect_cmd = app.add_subcommand(
      "connect", "Connect to a server, send each line of standard input, print each echo");
  connect_cmd->add_option("KEYFILE", connect.key_path, "The client's identity file")->required();
  connect_cmd->add_option("SERVER_PUBKEY", server_key, "The server's public key")
      ->check(kPublicKey);
  std::string libp2p_address;
  connect_cmd
      ->add_option("--libp2p", libp2p_address,
                   "Dial a libp2p node instead (/ip4/ADDR/tcp/PORT/p2p/PEER_ID): complete the "
                   "libp2p Noise handshake, show the first bytes it sends, close")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return p2pnet::tools::parse_multiaddr(text)
                       ? ""
                       : "needs /ip4/ADDR/tcp/PORT[/p2p/PEER_ID] (or /ip6/...)";
          },
          "MULTIADDR"))
      ->option_text("MULTIADDR");
  connect_cmd->add_option("--host", connect.host, "Server address [127.0.0.1]")
      ->option_text("ADDR");
  connect_cmd->add_option("-p,--port", connect_port, "Server port [8080]")
      ->check(number(1, 65535))
      ->option_text("N");
  connect_cmd->add_option("-t,--timeout", timeout, "Bound on every wait [10]")
      ->check(kSeconds)
      ->option_text("SECONDS");
  add_observability(connect_cmd, &connect_obs);

  try {
    std::vector<std::string> args = keys_as_positionals(argc, argv, *connect_cmd);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // help on standard output, status 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string program = "p2pnet";
    for (const CLI::App* sub : app.get_subcommands()) program += " " + sub->get_name();
    std::fprintf(stderr, "%s: error: %s\nRun '%s --help' for usage.\n", program.c_str(), e.what(),
                 program.c_str());
    return kUsageError;
  }

  if (keygen_cmd->parsed())
    return p2pnet::tools::run_keygen(keygen, Output(Style::kTool, "p2pnet keygen"));
  if (pubkey_cmd->parsed())
    return p2pnet::tools::run_pubkey(
        pubkey_path,
        pubkey_peer_id ? p2pnet::tools::KeyText::kPeerId : p2pnet::tools::KeyText::kPublicKey,
        Output(Style::kTool, "p2pnet pubkey"));
  if (serve_cmd->parsed()) {
    const Output out(Style::kTool, "p2pnet serve");
    serve.port = static_cast<std::uint16_t>(to_size(serve_port));
    for (const std::string& key : allow) serve.allowed.push_back(*p2pnet::decode_public_key(key));
    p2pnet::net::ServerOptions& o = serve.options;
    if (!handshake_timeout.empty())
      o.handshake_timeout = *p2pnet::tools::parse_seconds(handshake_timeout);
    if (!idle_timeout.empty()) o.idle_timeout = *p2pnet::tools::parse_seconds(idle_timeout);
    if (!frame_timeout.empty()) o.frame_timeout = *p2pnet::tools::parse_seconds(frame_timeout);
    if (!max_message.empty()) o.max_message_size = to_size(max_message);
    if (!max_handshakes.empty()) o.max_handshakes = to_size(max_handshakes);
    if (!max_per_address.empty()) o.max_handshakes_per_address = to_size(max_per_address);
    if (!max_connections.empty()) o.max_connections = to_size(max_connections);
    if (!max_connections_per_address.empty())
      o.max_connections_per_address = to_size(max_connections_per_address);
    if (!limits_above.empty())
      o.per_address_limits_above = static_cast<unsigned>(to_size(limits_above));
    if (!workers.empty()) serve.workers = static_cast<unsigned>(to_size(workers));
    if (!serve_obs.start(out)) return 1;
    o.log_hook = &serve_obs.log_hook;
    o.key_log = serve_obs.key_log_hook();
    return p2pnet::tools::run_echo_server(serve, out);
  }
  if (server_key.empty() == libp2p_address.empty()) {
    std::fprintf(stderr,
                 "p2pnet connect: error: give SERVER_PUBKEY or --libp2p MULTIADDR, one of them\n"
                 "Run 'p2pnet connect --help' for usage.\n");
    return kUsageError;
  }
  const Output out(Style::kTool, "p2pnet connect");
  if (!libp2p_address.empty()) {
    p2pnet::tools::Libp2pClientSettings settings;
    settings.key_path = connect.key_path;
    settings.address = *p2pnet::tools::parse_multiaddr(libp2p_address);
    if (!timeout.empty()) settings.timeout = *p2pnet::tools::parse_seconds(timeout);
    return p2pnet::tools::run_libp2p_client(settings, out);
  }
  connect.server_key = *p2pnet::decode_public_key(server_key);
  connect.port = static_cast<std::uint16_t>(to_size(connect_port));
  if (!timeout.empty()) connect.timeout = *p2pnet::tools::parse_seconds(timeout);
  if (!connect_obs.start(out)) return 1;
  connect.log_hook = &connect_obs.log_hook;
  connect.key_log = connect_obs.key_log_hook();
  return p2pnet::tools::run_secure_client(connect, out);
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "p2pnet: error: %s\n", e.what());
    return 1;
  }
}
