/** MaxPool delta kernel (nonlinear: the data plane truncates its output at the slot threshold). */
import {makePoolKernel} from './pool_common';

export const maxPoolKernel = makePoolKernel('MaxPool', 'max');
