// Export registry: every binding/*.cc file registers its functions with DELTA_CUDA_EXPORT at load time,
// and the module init (addon.cc) binds them all once. New kernels add a .cc file (CMakeLists globs
// binding/*.cc and kernels-cuda/*.cu) without touching addon.cc.
#pragma once
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <napi.h>
#include <vector>

namespace delta_cuda {

using ExportFn = Napi::Value (*)(const Napi::CallbackInfo&);
struct Export {
  const char* name;
  ExportFn fn;
};
std::vector<Export>& exportRegistry();
struct RegisterExport {
  RegisterExport(const char* name, ExportFn fn) { exportRegistry().push_back({name, fn}); }
};

}  // namespace delta_cuda

#define DELTA_CUDA_CONCAT_(a, b) a##b
#define DELTA_CUDA_CONCAT(a, b) DELTA_CUDA_CONCAT_(a, b)
/** DELTA_CUDA_EXPORT("jsName", CppFunction); at namespace scope in any binding/*.cc file. */
#define DELTA_CUDA_EXPORT(name, fn) \
  static ::delta_cuda::RegisterExport DELTA_CUDA_CONCAT(delta_cuda_export_, __LINE__)(name, fn)
