# ASan + UBSan as an interface target, switched on with -DLSWEEP_SANITIZE=ON.
option(LSWEEP_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
add_library(lsweep_sanitizers INTERFACE)
if(LSWEEP_SANITIZE)
  target_compile_options(lsweep_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(lsweep_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
