# The git commit recorded in every store. Read at configure time and refreshed at
# build time, so a rebuild after a commit records the new one.
add_custom_target(lsweep_git_commit
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}
          -DOUTPUT=${CMAKE_CURRENT_BINARY_DIR}/generated/lsweep/git_commit.hpp
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/WriteGitCommit.cmake
  BYPRODUCTS ${CMAKE_CURRENT_BINARY_DIR}/generated/lsweep/git_commit.hpp
  COMMENT "Recording git commit")
