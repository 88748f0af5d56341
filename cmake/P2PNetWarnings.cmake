# p2pnet_set_warnings(target): the project's warning set. -Werror=switch always, so a
# switch over an enum without a `default:` fails to build when a state is forgotten.
function(p2pnet_set_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${P2PNET_WERROR}>:/WX>)
    return()
  endif()
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough
    -Werror=switch
    $<$<BOOL:${P2PNET_WERROR}>:-Werror>
    # g++ 12 at -O3 reports std::string's own copies (operator+, replace) as overlapping
    # memcpy (GCC bug 105329, a false positive): still shown, never an error.
    $<$<AND:$<BOOL:${P2PNET_WERROR}>,$<CXX_COMPILER_ID:GNU>>:-Wno-error=restrict>)
endfunction()

# p2pnet_set_c_warnings(target): the same idea for the C sources (the C API test).
function(p2pnet_set_c_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
    $<$<BOOL:${P2PNET_WERROR}>:-Werror>)
endfunction()
