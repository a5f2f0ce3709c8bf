# Every third-party dependency is found here, once.

find_package(Torch REQUIRED)
# TorchConfig appends its own flags to CMAKE_CXX_FLAGS; keep them (ABI defines).
set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${TORCH_CXX_FLAGS}")

find_package(MPI REQUIRED COMPONENTS C CXX)

set(HDF5_PREFER_PARALLEL ON)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "lsweep needs parallel HDF5 (Debian: libhdf5-openmpi-dev); found a serial one "
                      "at ${HDF5_INCLUDE_DIRS}")
endif()
add_library(lsweep_hdf5 INTERFACE)
target_include_directories(lsweep_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
target_compile_definitions(lsweep_hdf5 INTERFACE ${HDF5_C_DEFINITIONS} ${HDF5_DEFINITIONS})
target_link_libraries(lsweep_hdf5 INTERFACE ${HDF5_C_LIBRARIES} MPI::MPI_C)

find_package(Boost REQUIRED COMPONENTS serialization)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)

# OpenBLAS is mandatory where LibTorch does its BLAS through the system's
# libblas.so.3 (Debian's LibTorch): the reference BLAS makes training about
# 18x slower. A PyTorch wheel's LibTorch brings its own BLAS: optional there.
set(_lsweep_system_torch OFF)
if(TORCH_INSTALL_PREFIX MATCHES "^/usr(/|$)")
  set(_lsweep_system_torch ON)
endif()
find_library(LSWEEP_OPENBLAS_LIBRARY NAMES openblas
             PATHS /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu)
if(NOT LSWEEP_OPENBLAS_LIBRARY)
  if(_lsweep_system_torch)
    message(FATAL_ERROR "OpenBLAS not found: install libopenblas0-pthread and libopenblas-pthread-dev")
  endif()
  set(LSWEEP_OPENBLAS_LIBRARY "")
  message(STATUS "OpenBLAS: not needed (LibTorch at ${TORCH_INSTALL_PREFIX} brings its own BLAS)")
endif()

# GPU parts: default to what was detected, never required by the CPU build.
set(_lsweep_torch_has_cuda OFF)
if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES OR c10_cuda_LIBRARY)
  set(_lsweep_torch_has_cuda ON)
endif()
option(LSWEEP_WITH_CUDA "Use CUDA devices through LibTorch" ${_lsweep_torch_has_cuda})
if(LSWEEP_WITH_CUDA AND NOT _lsweep_torch_has_cuda)
  message(FATAL_ERROR "LSWEEP_WITH_CUDA=ON but this LibTorch (${Torch_DIR}) was built without CUDA")
endif()

find_path(LSWEEP_NCCL_INCLUDE_DIR nccl.h PATHS /usr/include /usr/local/cuda/include)
find_library(LSWEEP_NCCL_LIBRARY nccl)
set(_lsweep_nccl_found OFF)
if(LSWEEP_WITH_CUDA AND LSWEEP_NCCL_INCLUDE_DIR AND LSWEEP_NCCL_LIBRARY)
  set(_lsweep_nccl_found ON)
endif()
option(LSWEEP_WITH_NCCL "Reduce gradients with NCCL on GPUs (needs LSWEEP_WITH_CUDA)" ${_lsweep_nccl_found})
if(LSWEEP_WITH_NCCL AND NOT _lsweep_nccl_found)
  message(FATAL_ERROR "LSWEEP_WITH_NCCL=ON needs LSWEEP_WITH_CUDA=ON and nccl.h + libnccl")
endif()

add_library(lsweep_gpu INTERFACE)
if(LSWEEP_WITH_CUDA)
  target_compile_definitions(lsweep_gpu INTERFACE LSWEEP_WITH_CUDA=1)
endif()
if(LSWEEP_WITH_NCCL)
  target_compile_definitions(lsweep_gpu INTERFACE LSWEEP_WITH_NCCL=1)
  target_include_directories(lsweep_gpu SYSTEM INTERFACE ${LSWEEP_NCCL_INCLUDE_DIR})
  target_link_libraries(lsweep_gpu INTERFACE ${LSWEEP_NCCL_LIBRARY})
endif()
