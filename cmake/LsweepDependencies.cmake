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

# NCCL (teams on GPUs): a PyTorch wheel's own NCCL first (its LibTorch loads
# that one), then the CUDA toolkit's.
get_filename_component(_lsweep_wheel_nvidia "${TORCH_INSTALL_PREFIX}/../nvidia" ABSOLUTE)
find_path(LSWEEP_NCCL_INCLUDE_DIR nccl.h
          PATHS ${_lsweep_wheel_nvidia}/nccl/include /usr/include /usr/local/cuda/include)
find_library(LSWEEP_NCCL_LIBRARY NAMES nccl libnccl.so.2
             PATHS ${_lsweep_wheel_nvidia}/nccl/lib /usr/local/cuda/lib64)
find_path(LSWEEP_CUDART_INCLUDE_DIR cuda_runtime_api.h
          PATHS ${_lsweep_wheel_nvidia}/cuda_runtime/include /usr/local/cuda/include)
find_library(LSWEEP_CUDART_LIBRARY NAMES cudart libcudart.so.13 libcudart.so.12
             PATHS ${_lsweep_wheel_nvidia}/cuda_runtime/lib /usr/local/cuda/lib64)
set(_lsweep_nccl_compiles OFF)
if(LSWEEP_NCCL_INCLUDE_DIR AND LSWEEP_CUDART_INCLUDE_DIR)
  set(_lsweep_nccl_compiles ON)
endif()
set(_lsweep_nccl_found OFF)
if(LSWEEP_WITH_CUDA AND _lsweep_nccl_compiles AND LSWEEP_NCCL_LIBRARY AND LSWEEP_CUDART_LIBRARY)
  set(_lsweep_nccl_found ON)
endif()
option(LSWEEP_WITH_NCCL "Sum team gradients with NCCL on GPUs (needs LSWEEP_WITH_CUDA)" ${_lsweep_nccl_found})
if(LSWEEP_WITH_NCCL AND NOT _lsweep_nccl_found)
  message(FATAL_ERROR "LSWEEP_WITH_NCCL=ON needs LSWEEP_WITH_CUDA=ON, nccl.h, cuda_runtime_api.h, libnccl and libcudart")
endif()
# CI has nvcc and NCCL's headers but a CPU LibTorch: the NCCL team code is
# compiled there (not linked) so that it cannot rot.
option(LSWEEP_COMPILE_NCCL "Compile the NCCL team code even without a CUDA LibTorch" ${_lsweep_nccl_compiles})
if(LSWEEP_COMPILE_NCCL AND NOT _lsweep_nccl_compiles)
  message(FATAL_ERROR "LSWEEP_COMPILE_NCCL=ON needs nccl.h and cuda_runtime_api.h")
endif()

add_library(lsweep_gpu INTERFACE)
if(LSWEEP_WITH_CUDA)
  target_compile_definitions(lsweep_gpu INTERFACE LSWEEP_WITH_CUDA=1)
endif()
add_library(lsweep_nccl INTERFACE)  # what the NCCL team code compiles and links with
target_include_directories(lsweep_nccl SYSTEM INTERFACE ${LSWEEP_NCCL_INCLUDE_DIR} ${LSWEEP_CUDART_INCLUDE_DIR})
if(LSWEEP_WITH_NCCL)
  target_compile_definitions(lsweep_gpu INTERFACE LSWEEP_WITH_NCCL=1)
  target_link_libraries(lsweep_nccl INTERFACE ${LSWEEP_NCCL_LIBRARY} ${LSWEEP_CUDART_LIBRARY})
endif()
