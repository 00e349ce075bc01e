// The tensor-core primitives shared by dense_conv_tc.cu and conv_tc_gemm.cu (sm_80+; below, the callers are never
// picked and these compile to nothing).
#pragma once
#include <cstdint>

namespace delta_cuda {
namespace tc {

// x rounded to TF32 (round to nearest, ties away from zero), in a 32-bit register with the low 13 bits zero.
__device__ __forceinline__ uint32_t toTf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
}

// acc (16x8, float32) += a (16x8, tf32, row major) * b (8x8, tf32, column major)
__device__ __forceinline__ void mma(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// Two floats as one f16x2 register, rounded to nearest even: lo in the low half (the element with the lower k index).
// Beyond fp16's range (|x| > 65504) a value becomes +-Inf, which the caller's output then shows; below ~6e-5 it loses
// precision (subnormals).
__device__ __forceinline__ uint32_t packHalf2(float lo, float hi) {
  uint32_t r;
  asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}

// acc (16x8, float32) += a (16x16, fp16, row major) * b (16x8, fp16, column major)
__device__ __forceinline__ void mmaF16(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

}  // namespace tc
}  // namespace delta_cuda
