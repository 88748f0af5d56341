# P2PNET_SANITIZE=address,undefined instruments every target of the build. UBSan is
# made fatal so a finding fails the test that triggered it instead of only printing.
if(P2PNET_SANITIZE)
  add_compile_options(-fsanitize=${P2PNET_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${P2PNET_SANITIZE})
endif()
