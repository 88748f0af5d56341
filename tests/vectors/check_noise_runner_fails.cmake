# The noise_vectors runner must fail a vector whose bytes are wrong: one copy of
# snow.txt with the first character of its first ciphertext changed must give
# "1 failed" and a non-zero exit. Arguments: -DRUNNER=<noise_vectors> -DVECTORS=<snow.txt>
# -DSCRATCH=<directory>.
file(READ "${VECTORS}" text)
string(FIND "${text}" "\"ciphertext\": \"" at)
if(at EQUAL -1)
  message(FATAL_ERROR "no ciphertext in ${VECTORS}")
endif()
math(EXPR digit "${at} + 15")
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
execute_process(COMMAND "${RUNNER}" "${SCRATCH}/changed.txt" RESULT_VARIABLE result
                OUTPUT_VARIABLE output)
if(result EQUAL 0 OR NOT output MATCHES "407 passed, 1 failed, 0 skipped")
  message(FATAL_ERROR "the runner did not fail the changed vector (exit ${result}):\n${output}")
endif()
message(STATUS "the changed vector failed as it must:\n${output}")
