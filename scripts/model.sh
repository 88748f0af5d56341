#!/usr/bin/env bash
# scripts/model.sh [ci|full]: model-checks model/protocol_v1.m with rumur (docs/model.md).
#   ci    (default; what `scripts/test.sh model` runs) the model must pass; each mutation
#         (a variant with one `MUTATION_*` constant set to true) must fail, and the first
#         invariant rumur reports must be one the mutation is expected to break.
#   full  explores every variant completely (rumur --max-errors): the model and the
#         observations must pass, and the set of invariants a mutation breaks, over all
#         reachable states, must equal its expected set. Several minutes; the numbers
#         in docs/model.md come from it.
# Variants are derived from the one model file with sed into build/model/, never kept as
# copies. Each variant's full rumur output (counterexample trace included) is kept in
# build/model/VARIANT.log.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-ci}
model=model/protocol_v1.m
out=build/model
threads=2  # the CI machine has two cores

# The invariants each mutation is expected to break (docs/model.md, "Mutations").
declare -A expected=(
  [drop_server_id]="server_agreement"
  [drop_client_eph]="client_agreement"
  [drop_labels]="client_agreement server_agreement"
  [no_replay_cache]="challenge_signed_once"
  [skip_allow_list]="allow_list"
  [drop_kdf_ids]="no_unknown_key_share"
)
# Observations: variants that must pass (docs/model.md, "What the labels and the cache
# are for"); checked by `full` only.
declare -A observations=(
  [drop_labels_one_key_one_protocol]="MUTATION_DROP_LABELS=true FOREIGN_SIGNER=false"
  [drop_client_eph_with_cache]="MUTATION_DROP_CLIENT_EPH=true START_WITHOUT_CACHE=false"
)

# The mutation names the model declares ("-- MUTATION name: ...") must be exactly the
# ones above, so a new mutation cannot go unchecked.
mapfile -t declared < <(sed -n 's/^ *-- MUTATION \([a-z_]*\):.*/\1/p' "$model")
if [[ "$(printf '%s\n' "${declared[@]}" | sort)" != "$(printf '%s\n' "${!expected[@]}" | sort)" ]]; then
  echo "model: $model declares mutations (${declared[*]}) but model.sh expects (${!expected[*]})" >&2
  exit 1
fi

derive() {  # derive VARIANT [CONSTANT=value...]: writes $out/VARIANT.m
  local variant=$1; shift
  cp "$model" "$out/$variant.m"
  local setting name value
  for setting in "$@"; do
    name=${setting%%=*} value=${setting#*=}
    if [[ $(grep -c "^  $name: " "$out/$variant.m") -ne 1 ]]; then
      echo "model: $variant: constant $name not found once in $model" >&2
      exit 1
    fi
    sed -i "s/^  $name: [a-z0-9]*;/  $name: $value;/" "$out/$variant.m"
    grep -q "^  $name: $value;" "$out/$variant.m"
  done
}

check() {  # check VARIANT OPT EXTRA_RUMUR_ARGS: generates, compiles, runs; log in VARIANT.log
  local variant=$1 opt=$2 extra=$3
  local start=$SECONDS
  # shellcheck disable=SC2086  # extra is a word list on purpose
  rumur --quiet --deadlock-detection off --pack-state off --threads "$threads" $extra \
    --output "$out/$variant.c" "$out/$variant.m"
  local arch_flags=""
  [[ $(uname -m) != x86_64 ]] || arch_flags="-mcx16"  # rumur's atomics, per its README
  cc -std=c11 "$opt" $arch_flags -w "$out/$variant.c" -o "$out/$variant" -lpthread
  local built=$SECONDS
  # The verifier's exit status is 0 when it found errors but stayed under --max-errors,
  # so the result is read from its report, not from the status.
  "$out/$variant" >"$out/$variant.log" 2>&1 || true
  checked_seconds=$((SECONDS - built)) build_seconds=$((built - start))
  states=$(sed -n 's/^[[:space:]]*\([0-9]*\) states, .*/\1/p' "$out/$variant.log" | tail -n 1)
  broken=$({ grep -o 'invariant "[a-z_]*" failed' "$out/$variant.log" || true; } |
           cut -d'"' -f2 | sort -u | tr '\n' ' ' | sed 's/ $//')
  if [[ -z $states ]] || { [[ -z $broken ]] && ! grep -q "No error found" "$out/$variant.log"; }; then
    echo "model: $variant: no result from the verifier (see $out/$variant.log)" >&2
    exit 1
  fi
}

report() {  # report VARIANT RESULT
  printf '%-34s %-58s %9s states  build %3ss  check %4ss\n' "$1" "$2" "$states" \
    "$build_seconds" "$checked_seconds"
}

fail() { echo "model: $*" >&2; failed=1; }

scripts/setup.sh model
mkdir -p "$out"
failed=0
case $mode in
  ci)
    # The model is explored completely; a mutation stops at its first violation.
    derive protocol_v1
    check protocol_v1 -O1 ""
    report protocol_v1 "${broken:-pass}"
    [[ -z $broken ]] || fail "protocol_v1 breaks $broken (trace in $out/protocol_v1.log)"
    for mutation in "${declared[@]}"; do
      constant=MUTATION_$(tr '[:lower:]' '[:upper:]' <<<"$mutation")
      derive "$mutation" "$constant=true"
      check "$mutation" -O0 ""
      report "$mutation" "breaks ${broken:-nothing}"
      if [[ -z $broken ]]; then
        fail "$mutation: no invariant broken; expected one of: ${expected[$mutation]}"
      elif [[ " ${expected[$mutation]} " != *" $broken "* ]]; then
        fail "$mutation: broke $broken; expected one of: ${expected[$mutation]}"
      fi
    done ;;
  full)
    derive protocol_v1
    check protocol_v1 -O1 ""
    report protocol_v1 "${broken:-pass}"
    [[ -z $broken ]] || fail "protocol_v1 breaks $broken"
    for variant in "${!observations[@]}"; do
      # shellcheck disable=SC2086  # the settings are a word list
      derive "$variant" ${observations[$variant]}
      check "$variant" -O1 ""
      report "$variant" "${broken:-pass}"
      [[ -z $broken ]] || fail "$variant breaks $broken (trace in $out/$variant.log)"
    done
    for mutation in "${declared[@]}"; do
      constant=MUTATION_$(tr '[:lower:]' '[:upper:]' <<<"$mutation")
      derive "$mutation" "$constant=true"
      check "$mutation" -O1 "--max-errors 1000000000 --counterexample-trace off"
      count=$(grep -c 'invariant "[a-z_]*" failed' "$out/$mutation.log" || true)
      report "$mutation" "breaks ${broken:-nothing} ($count reports)"
      want=$(tr ' ' '\n' <<<"${expected[$mutation]}" | sort | tr '\n' ' ' | sed 's/ $//')
      [[ $broken == "$want" ]] || fail "$mutation: broke '${broken}'; expected exactly '$want'"
    done ;;
  *)
    echo "model.sh: unknown mode '$mode' (modes: ci, full)" >&2; exit 2 ;;
esac
[[ $failed -eq 0 ]] || exit 1
echo "model: $mode passed"
