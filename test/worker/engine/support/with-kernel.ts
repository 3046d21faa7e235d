import * as tf from "@tensorflow/tfjs-core";

/**
 * Runs `f` with `config` registered in place of the kernel of its name and backend (e.g. a kernel's JS loop
 * instead of its compiled pass), then puts the registered one back.
 */
export function withKernel<T>(config: tf.KernelConfig, f: () => T): T {
  const { kernelName, backendName } = config;
  const registered = tf.getKernel(kernelName, backendName)!;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel(config);
  try {
    return f();
  } finally {
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(registered);
  }
}
