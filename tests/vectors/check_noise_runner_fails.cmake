# The noise_vectors runner must fail a vector whose bytes are wrong: one copy of
# snow.txt with the first character of one ciphertext changed must give
# "1 failed" and a non-zero exit (how many pass depends on whether libcrypto is built
# in). Arguments: -DRUNNER=<noise_vectors> -DVECTORS=<snow.txt> -DSCRATCH=<directory>,
# and -DEMULATOR=<program> (wine) when the runner is a cross-built executable.
file(READ "${VECTORS}" text)
# The first ciphertext after a vector that every build runs (ChaChaPoly with SHA256:
# libsodium only), so the change is seen with or without libcrypto.
string(FIND "${text}" "\"Noise_N_25519_ChaChaPoly_SHA256\"" vector)
if(vector EQUAL -1)
  message(FATAL_ERROR "no Noise_N_25519_ChaChaPoly_SHA256 vector in ${VECTORS}")
endif()
string(SUBSTRING "${text}" ${vector} -1 from_vector)
string(FIND "${from_vector}" "\"ciphertext\": \"" offset)
if(offset EQUAL -1)
  message(FATAL_ERROR "no ciphertext in ${VECTORS}")
endif()
math(EXPR digit "${vector} + ${offset} + 15")
string(SUBSTRING "${text}" ${digit} 1 old)
if(old STREQUAL "0")
  set(new "1")
else()
  set(new "0")
endif()
string(SUBSTRING "${text}" 0 ${digit} head)
math(EXPR rest "${digit} + 1")
string(SUBSTRING "${text}" ${rest} -1 tail)
file(MAKE_DIRECTORY "${SCRATCH}")
file(WRITE "${SCRATCH}/changed.txt" "${head}${new}${tail}")
execute_process(COMMAND ${EMULATOR} "${RUNNER}" "${SCRATCH}/changed.txt" RESULT_VARIABLE result
                OUTPUT_VARIABLE output)
if(result EQUAL 0 OR NOT output MATCHES "[0-9]+ passed, 1 failed, [0-9]+ skipped")
  message(FATAL_ERROR "the runner did not fail the changed vector (exit ${result}):\n${output}")
endif()
message(STATUS "the changed vector failed as it must:\n${output}")
