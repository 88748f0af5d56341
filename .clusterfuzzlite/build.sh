#!/bin/bash -eu
# ClusterFuzzLite build script. The builder sets CC, CXX, CFLAGS, CXXFLAGS (sanitizer
# and -fsanitize=fuzzer-no-link), LIB_FUZZING_ENGINE, SRC and OUT. This builds every
# target of fuzz/ with them and puts into $OUT, per target: the binary, its seed
# corpus (<target>_seed_corpus.zip, from corpus/<target>/) and its dictionary
# (<target>.dict) when it has one. scripts/fuzz.sh cflite-check runs it locally.
cd "$SRC/p2pnet"
build=build/cflite
# CMAKE_BUILD_TYPE=None: the builder's optimisation flags are the ones that count.
# The builder's flags carry the generic FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which
# the project refuses outside its own fuzzing build mode: P2PNET_FUZZING_BUILD_MODE
# (named here, though on by default with the fuzzers) builds the engine and the
# targets only, with no example, adapter or install rule (docs/fuzzing.md).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DP2PNET_BUILD_FUZZERS=ON -DP2PNET_FUZZING_BUILD_MODE=ON \
  -DP2PNET_LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" -DP2PNET_WERROR=OFF
cmake --build "$build" -j "$(nproc)"

for binary in "$build"/fuzz/fuzz_*; do
  [[ -x $binary && -f $binary ]] || continue
  target=${binary##*/fuzz_}
  cp "$binary" "$OUT/$target"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "corpus/$target" && zip -q -j "$OUT/${target}_seed_corpus.zip" ./*)
  if [[ -f fuzz/$target.dict ]]; then cp "fuzz/$target.dict" "$OUT/$target.dict"; fi
done
