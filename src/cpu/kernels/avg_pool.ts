/** AvgPool delta kernel (linear; divides by the number of in-bounds taps, as tfjs-backend-cpu). */
import {makePoolKernel} from './pool_common';

export const avgPoolKernel = makePoolKernel('AvgPool', 'avg');
