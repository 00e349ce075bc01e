/** Op codes of the dense CUDA kernels: mirrors of the enums in kernels-cuda/dense_*.cuh. */

export const enum Unary {
  Identity = 0, Relu, Relu6, Sigmoid, Tanh, Exp, Log, Sqrt, Rsqrt, Neg, Abs, Square, Elu, LeakyRelu, Step, Floor,
  Ceil, Round, Sin, Cos, Softplus, Sign, Reciprocal, Log1p, Expm1, Erf, Selu, Clip, Not, IsNan, CastBool,
}

export const enum Binary {
  Add = 0, Sub, Mul, Div, FloorDiv, Mod, SquaredDifference, Max, Min, Pow, Equal, NotEqual, Less, LessEqual,
  Greater, GreaterEqual, And, Or, Prelu, Atan2, DivNoNan,
}

export const enum Reduce { Sum = 0, Mean, Max, Min, Prod, ArgMax, ArgMin, All, Any }

export const enum Activation { Linear = 0, Relu, Relu6, Prelu, LeakyRelu, Elu, Sigmoid }
