#!/usr/bin/env bash
# scripts/lint.sh [MODE]: the style checks of CONTRIBUTING.md ("Lint"); `scripts/test.sh lint`
# (and so CI) runs `check`.
#   check     (default) tidy, then format; fails if either fails.
#   tidy      clang-tidy-14 over every translation unit of a clang build of the engine,
#             adapters, tools, examples, tests, fuzz targets and benchmarks (configured
#             only, in build/lint: clang-tidy needs the compile commands, not the objects),
#             each translation unit once (a file built identically into several targets
#             is checked once), LINT_JOBS (default 2) files at a time. A finding fails the run only when it is NEW: not
#             in scripts/lint-baseline.txt. Findings are compared without line numbers (file,
#             check and message; as many times as the baseline holds it), so code moving
#             around a baselined finding does not fail. A file clang cannot parse always fails.
#   format    clang-format-14 --dry-run --Werror over the tracked *.h, *.c and *.cc files
#             outside third_party/ directories; fails if any file is not formatted.
#   baseline  runs tidy and rewrites scripts/lint-baseline.txt with today's findings.
#             Only for findings that are accepted on purpose: see CONTRIBUTING.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=${1:-check}
jobs=${LINT_JOBS:-2}
build=build/lint
baseline=scripts/lint-baseline.txt
work=$build/tidy
clang_tidy=clang-tidy-14
clang_format=clang-format-14

log() { printf 'lint [%3ds]: %s\n' "$SECONDS" "$*"; }

configure() {
  # The same dependencies as the unit and bench stages, so every target is configured.
  scripts/setup.sh build test loops bench lint
  cmake --preset lint >/dev/null  # CMakePresets.json: clang, benchmarks on, into build/lint
}

# tidy_database writes $work/db/compile_commands.json: the lint build's database with
# one entry per translation unit. An entry that repeats an earlier one for the same
# file but for its output (fuzz/replay_main.cc is built the same way into ten replay
# tests) is dropped, so clang-tidy parses and checks it once, not ten times; a file
# built with other flags keeps each build (engine/src/assert.cc with assertions on
# and off), so no configuration loses its checks. Third-party files are dropped.
tidy_database() {
  mkdir -p "$work/db"
  /usr/bin/python3 - "$build/compile_commands.json" "$work/db/compile_commands.json" <<'PY'
import json, re, sys
entries, seen, kept = json.load(open(sys.argv[1])), set(), []
for entry in entries:
    if "/third_party/" in entry["file"]:
        continue
    command = entry.get("command") or " ".join(entry["arguments"])
    key = (entry["file"], re.sub(r" -o \S+", "", command))
    if key not in seen:
        seen.add(key)
        kept.append(entry)
json.dump(kept, open(sys.argv[2], "w"), indent=0)
print(len(entries), len(kept))
PY
}

# sources: every distinct source file of the (deduplicated) database.
sources() {
  sed -nE 's/^ *"file": "(.*)",?$/\1/p' "$work/db/compile_commands.json" | sort -u
}

# join_messages joins a warning or error whose line does not end in "]" with the lines
# after it, up to the one that does.
join_messages() {
  awk '/^\/.*: (warning|error): / && !/\]$/ { held = $0; next }
       held != "" { held = held " " $0; if ($0 ~ /\]$/) { print held; held = "" }; next }
       { print }
       END { if (held != "") print held }'
}

# run_tidy writes the findings, one per line as "path:line:col: [check] message" with
# paths relative to the repository, to $work/findings.txt. A finding in a header that
# several files include is counted once.
run_tidy() {
  configure
  rm -rf "$work" && mkdir -p "$work/out"
  local files counts
  counts=$(tidy_database)
  files=$(sources)
  log "clang-tidy: $(wc -l <<<"$files") files, ${counts#* } translation units" \
    "(${counts% *} builds in the database), $jobs at a time"
  # Each file's output goes to its own file, so parallel runs do not interleave.
  # Each run's wall time goes to times.txt, so the slowest translation units are named.
  xargs -P "$jobs" -I{} sh -c \
    'out="$2/out/$(echo "$1" | tr / _).txt"; start=$(date +%s%N)
     "$3" -p "$4" --quiet "$1" >"$out" 2>&1 || echo "$1" >>"$2/failed.txt"
     echo "$((($(date +%s%N) - start) / 1000000)) $1" >>"$2/times.txt"' \
    _ {} "$work" "$clang_tidy" "$work/db" <<<"$files"
  log "clang-tidy: the slowest translation units (ms):" \
    "$(sort -rn "$work/times.txt" | head -n 5 | sed "s#${root}/##" | tr '\n' ' ')"
  # A message can run over several lines (the analyzer's padding report lists fields
  # one per line) with the [check] at the end of the last: join them first, so such a
  # finding is counted instead of silently dropped.
  cat "$work"/out/*.txt | join_messages |
    sed -nE "s#^${root}/([^:]+):([0-9]+):([0-9]+): (warning|error): (.*) \[([^]]+)\]\$#\1:\2:\3: [\6] \5#p" |
    grep -v '^build/' | sort -u >"$work/findings.txt" || true
  # A file clang-tidy could not parse (or a clang-tidy that crashed) would hide its
  # findings: that is a failure whatever the baseline says.
  if [[ -s $work/failed.txt ]]; then
    log "clang-tidy: failed on $(wc -l <"$work/failed.txt") files (compiler errors or a crash):"
    grep -hE '(error|fatal error): ' "$work"/out/*.txt | sort -u | head -n 20 || true
    sed 's/^/  /' "$work/failed.txt"
    return 1
  fi
  log "clang-tidy: $(wc -l <"$work/findings.txt") findings"
}

# without_lines drops ":line:col" so a finding's identity survives edits around it.
without_lines() { sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /' "$@" | sort; }

mode_tidy() {
  run_tidy
  without_lines "$work/findings.txt" >"$work/current.txt"
  grep -v '^#' "$baseline" | sort >"$work/baseline.txt" || true
  # comm on sorted lists with repeats is a multiset difference: a finding the baseline
  # holds twice is accepted twice, a third one is new.
  comm -13 "$work/baseline.txt" "$work/current.txt" >"$work/new.txt"
  comm -23 "$work/baseline.txt" "$work/current.txt" >"$work/gone.txt"
  if [[ -s $work/gone.txt ]]; then
    log "clang-tidy: $(wc -l <"$work/gone.txt") baselined findings are gone; run" \
      "'scripts/lint.sh baseline' to drop them from $baseline"
  fi
  if [[ -s $work/new.txt ]]; then
    log "clang-tidy: $(wc -l <"$work/new.txt") NEW findings (not in $baseline):"
    # Print them with their line numbers: each new key, every place it occurs.
    while IFS= read -r key; do
      local path=${key%%: *} rest=${key#*: }
      grep -F -- ": $rest" "$work/findings.txt" | grep -F -- "$path:" | head -n 3
    done < <(sort -u "$work/new.txt")
    return 1
  fi
  log "clang-tidy: no new findings ($(wc -l <"$work/current.txt") baselined)"
}

mode_baseline() {
  run_tidy
  {
    echo "# clang-tidy findings accepted for now: scripts/lint.sh fails only on findings"
    echo "# not listed here. Regenerate with 'scripts/lint.sh baseline' (CONTRIBUTING.md)."
    echo "# One line per finding: path: [check] message (no line numbers, so edits elsewhere"
    echo "# in the file do not matter; a line listed twice accepts two findings)."
    without_lines "$work/findings.txt"
  } >"$baseline"
  log "wrote $baseline: $(grep -vc '^#' "$baseline") findings"
}

mode_format() {
  scripts/setup.sh lint
  local files unformatted
  files=$(git ls-files '*.h' '*.c' '*.cc' | grep -v '/third_party/')
  # One run over every file; each place that would change is one "error:" line.
  unformatted=$(xargs "$clang_format" --dry-run --Werror <<<"$files" 2>&1 |
    sed -nE 's/^([^:]+):[0-9]+:[0-9]+: error: code should be clang-formatted.*/\1/p' |
    sort -u || true)
  if [[ -n $unformatted ]]; then
    log "clang-format: $(wc -l <<<"$unformatted") of $(wc -l <<<"$files") files are not" \
      "formatted (clang-format-14 -i FILE fixes one; --dry-run shows what would change):"
    sed 's/^/  /' <<<"$unformatted"
    return 1
  fi
  log "clang-format: all $(wc -l <<<"$files") files formatted"
}

case $mode in
  check)
    status=0
    mode_tidy || status=1
    mode_format || status=1
    exit $status ;;
  tidy) mode_tidy ;;
  format) mode_format ;;
  baseline) mode_baseline ;;
  *) echo "lint.sh: unknown mode '$mode' (check, tidy, format, baseline)" >&2; exit 2 ;;
esac
