# Warnings as an interface target: every lsweep target links lsweep_warnings.
add_library(lsweep_warnings INTERFACE)
target_compile_options(lsweep_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>)
option(LSWEEP_WERROR "Treat warnings as errors" OFF)
if(LSWEEP_WERROR)
  target_compile_options(lsweep_warnings INTERFACE -Werror)
endif()
