#!/usr/bin/env bash
# scripts/model.sh [ci|full [MODEL...]|trace MODEL MUTATION]: model-checks model/protocol_v1.m and
# model/protocol_v2.m with rumur (docs/model.md).
#   ci     (default; what `scripts/test.sh model` runs) for each model, one rumur run that
#          explores the protocol and every mutation of it completely: the protocol must
#          break no invariant and reach every cover; each mutation must break exactly
#          its expected set of invariants (the table below).
#   full   the same with the larger bounds of `full_settings` (docs/model.md, "Bounds").
#   trace  MODEL MUTATION: checks one mutation alone, the invariants as invariants, and
#          prints rumur's counterexample trace for the first one it breaks.
# How one run checks every mutation: the model keeps the mutation in its state, fixed by
# the start state, over MUTATIONS_FROM..MUTATIONS_TO (0..0 in the file: the protocol
# alone). This script widens that range and rewrites each line
#   invariant "NAME" EXPR;
# into an invariant that holds for the protocol (mutation 0) and, per mutation, a cover
# "NAME broken by MUTATION" that is hit in the states of that mutation breaking it. A
# cover does not stop the search, so every invariant a mutation breaks is reported, also
# where another one breaks in the same state. Variants are derived with sed into
# build/model/, never kept as copies; rumur's full report is build/model/VARIANT.log.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-ci}
out=build/model
threads=2  # the CI machine has two cores
models=(protocol_v1 protocol_v2)

# The invariants each mutation is expected to break, exactly (docs/model.md,
# "Mutations"); an empty set means the mutation must break nothing: the binding it
# removes is redundant in the model (docs/model.md explains each).
declare -A expected=(
  # protocol_v1: signed contents
  [protocol_v1/drop_client_label]="secrecy server_agreement"
  [protocol_v1/drop_client_challenge]="server_agreement"
  [protocol_v1/drop_client_eph_client_sig]="secrecy server_agreement"
  [protocol_v1/drop_client_id_client_sig]=""
  [protocol_v1/drop_server_id]="server_agreement"
  [protocol_v1/drop_server_label]="client_agreement secrecy"
  [protocol_v1/drop_server_challenge]="client_agreement"
  [protocol_v1/drop_server_eph]="client_agreement secrecy"
  [protocol_v1/drop_client_eph]="client_agreement"
  [protocol_v1/drop_client_id_server_sig]="client_agreement"
  [protocol_v1/drop_server_id_server_sig]=""
  [protocol_v1/drop_labels]="client_agreement secrecy server_agreement"
  [protocol_v1/drop_labels_no_foreign_signer]=""
  # protocol_v1: key schedule
  [protocol_v1/drop_kdf_ids]="frame_origin"
  [protocol_v1/drop_kdf_client_id]="frame_origin"
  [protocol_v1/drop_kdf_server_id]="frame_origin"
  [protocol_v1/drop_direction_labels]="frame_origin"
  [protocol_v1/drop_tail_challenge]="frame_origin"
  [protocol_v1/drop_tail_ephs]=""
  # protocol_v1: replay cache and allow-list
  [protocol_v1/no_replay_cache]=""
  [protocol_v1/drop_client_eph_with_cache]="client_agreement"
  [protocol_v1/skip_allow_list]="access"
  # protocol_v2
  [protocol_v2/no_binding_check]="client_agreement client_identity_hidden secrecy server_agreement"
  [protocol_v2/late_server_check]="client_identity_hidden"
  [protocol_v2/drop_es]="client_agreement client_identity_hidden secrecy"
  [protocol_v2/drop_se]="secrecy server_agreement"
  [protocol_v2/no_psk]="network_key_keeps_out"
  [protocol_v2/prologue_not_mixed]="client_agreement server_agreement"
  [protocol_v2/rekey_keeps_old_key]="updates_protect_old_frames"
)

# Constants that `full` sets, per model (docs/model.md, "Bounds").
declare -A full_settings=(
  [protocol_v1]="ATTACKER_CHALLENGES=2 ATTACKER_EPHS=2 REPLAY_SERVERS=2"
  [protocol_v2]="ATTACKER_EPHS=2 STEAL_IN_PAIRS=true"
)

derive() {  # derive MODEL VARIANT FROM TO [CONSTANT=value...]: writes $out/VARIANT.m
  local model=$1 variant=$2 from=$3 to=$4; shift 4
  local file=$out/$variant.m
  cp "model/$model.m" "$file"
  local setting name value
  for setting in "MUTATIONS_FROM=$from" "MUTATIONS_TO=$to" "$@"; do
    name=${setting%%=*} value=${setting#*=}
    if [[ $(grep -c "^  $name: " "$file") -ne 1 ]]; then
      echo "model: $variant: constant $name not found once in model/$model.m" >&2
      exit 1
    fi
    sed -i "s/^  $name: [a-z0-9]*;/  $name: $value;/" "$file"
    grep -q "^  $name: $value;" "$file"
  done
}

# rewrite_invariants FILE: each `invariant "NAME" EXPR;` line becomes an invariant of
# the protocol plus one cover per mutation (see the top of this file).
rewrite_invariants() {
  local file=$1 line name expr rewritten="" k
  while IFS= read -r line; do
    if [[ $line =~ ^invariant\ \"([a-z_0-9]+)\"\ (.*)\;$ ]]; then
      name=${BASH_REMATCH[1]} expr=${BASH_REMATCH[2]}
      rewritten+="invariant \"$name\" mutation != NO_MUTATION | ($expr);"$'\n'
      for k in "${!mutation_number[@]}"; do
        rewritten+="cover \"$name broken by $k\" mutation = ${mutation_number[$k]} & !($expr);"$'\n'
      done
    else
      rewritten+=$line$'\n'
    fi
  done <"$file"
  printf '%s' "$rewritten" >"$file"
}

check() {  # check VARIANT OPT [RUMUR_ARG...]: generates, compiles, runs; log in VARIANT.log
  local variant=$1 opt=$2; shift 2
  local start=$SECONDS
  rumur --quiet --deadlock-detection off --pack-state off --threads "$threads" "$@" \
    --output "$out/$variant.c" "$out/$variant.m"
  local arch_flags=""
  [[ $(uname -m) != x86_64 ]] || arch_flags="-mcx16"  # rumur's atomics, per its README
  # shellcheck disable=SC2086  # arch_flags is empty or one word
  cc -std=c11 "$opt" $arch_flags -w "$out/$variant.c" -o "$out/$variant" -lpthread
  local built=$SECONDS
  # The verifier exits non-zero for an unhit cover too, so the result is read from its
  # report, not from the status.
  "$out/$variant" >"$out/$variant.log" 2>&1 || true
  checked_seconds=$((SECONDS - built)) build_seconds=$((built - start))
  states=$(sed -n 's/^[[:space:]]*\([0-9]*\) states, .*/\1/p' "$out/$variant.log" | tail -n 1)
  if [[ -z $states ]]; then
    echo "model: $variant: no result from the verifier (see $out/$variant.log)" >&2
    exit 1
  fi
}

fail() { echo "model: $*" >&2; failed=1; }

# load_mutations MODEL: mutation_number[name]=number from "-- MUTATION name (n): ..."
load_mutations() {
  local model=$1 name number
  mutation_number=()
  while read -r name number; do
    mutation_number[$name]=$number
  done < <(sed -n 's/^ *-- MUTATION \([a-z0-9_]*\) (\([0-9]*\)):.*/\1 \2/p' "model/$model.m")
  local declared expected_here
  declared=$(printf '%s\n' "${!mutation_number[@]}" | sort)
  expected_here=$(printf '%s\n' "${!expected[@]}" | sed -n "s|^$model/||p" | sort)
  if [[ $declared != "$expected_here" ]]; then
    echo "model: model/$model.m declares mutations ($(tr '\n' ' ' <<<"$declared"))" \
      "but model.sh expects ($(tr '\n' ' ' <<<"$expected_here"))" >&2
    exit 1
  fi
  last_mutation=$(sed -n 's/^  LAST_MUTATION: \([0-9]*\);/\1/p' "model/$model.m")
}

run_model() {  # run_model MODEL [CONSTANT=value...]: the protocol and all its mutations
  local model=$1; shift
  declare -gA mutation_number
  load_mutations "$model"
  derive "$model" "$model" 0 "$last_mutation" "$@"
  rewrite_invariants "$out/$model.m"
  # Without trace printing the generated C compiles about 15 times faster; a failure is
  # traced by the `trace` mode.
  check "$model" -O1 --counterexample-trace off
  local log=$out/$model.log
  printf '%s: %s states (the protocol and %s mutations), build %ss, check %ss\n' \
    "$model" "$states" "${#mutation_number[@]}" "$build_seconds" "$checked_seconds"
  if grep -q 'invariant "[a-z_0-9]*" failed' "$log"; then
    # rumur stopped there, so no other result of this run is complete.
    fail "$model: the protocol breaks $(grep -o 'invariant "[a-z_0-9]*" failed' "$log" |
      head -n 1) (trace: scripts/model.sh trace $model none)"
    return
  fi
  local cover
  while IFS= read -r cover; do
    fail "$model: cover \"$cover\" is never reached"
  done < <(sed -n 's/^[[:space:]]*cover "\([^"]*\)" not hit$/\1/p' "$log" | grep -v ' broken by ' || true)
  local mutation broken want
  for mutation in $(printf '%s\n' "${!mutation_number[@]}" | sort); do
    broken=$(sed -n "s/^[[:space:]]*cover \"\([a-z_0-9]*\) broken by $mutation\" hit .*/\1/p" "$log" |
             sort | tr '\n' ' ' | sed 's/ $//')
    want=$(tr ' ' '\n' <<<"${expected[$model/$mutation]}" | sed '/^$/d' | sort | tr '\n' ' ' |
           sed 's/ $//')
    printf '  %-32s breaks %s\n' "$mutation" "${broken:-nothing}"
    [[ $broken == "$want" ]] ||
      fail "$model/$mutation: broke '${broken}'; expected exactly '$want'"
  done
}

scripts/setup.sh model
mkdir -p "$out"
failed=0
case $mode in
  ci)
    [[ $# -lt 2 ]] || models=("${@:2}")
    for model in "${models[@]}"; do
      run_model "$model"
    done ;;
  full)
    [[ $# -lt 2 ]] || models=("${@:2}")
    for model in "${models[@]}"; do
      # shellcheck disable=SC2086  # the settings are a word list
      run_model "$model" ${full_settings[$model]}
    done ;;
  trace)
    model=${2:?usage: model.sh trace MODEL MUTATION (none: the protocol)}
    mutation=${3:?usage: model.sh trace MODEL MUTATION (none: the protocol)}
    declare -A mutation_number
    load_mutations "$model"
    number=0
    if [[ $mutation != none ]]; then
      number=${mutation_number[$mutation]:?unknown mutation $mutation}
    fi
    derive "$model" "$model-$mutation" "$number" "$number"
    check "$model-$mutation" -O1
    sed -n '/error trace for the error/,/End of the error trace/p' "$out/$model-$mutation.log"
    grep -o 'invariant "[a-z_0-9]*" failed' "$out/$model-$mutation.log" | head -n 1 || true
    echo "$states states; full report in $out/$model-$mutation.log" ;;
  *)
    echo "model.sh: unknown mode '$mode' (modes: ci, full, trace)" >&2; exit 2 ;;
esac
[[ $failed -eq 0 ]] || exit 1
echo "model: $mode passed"
