// Preloaded (`node --import tsx --import <this file> …`) into a `tether local up` under test: on
// SIGUSR2 it makes the process die the way a bug would, without a hook in the product's code.
//   TETHER_TEST_CRASH=exception   an uncaught exception (the default)
//   TETHER_TEST_CRASH=rejection   an unhandled promise rejection
process.on("SIGUSR2", () => {
  setImmediate(() => {
    if (process.env["TETHER_TEST_CRASH"] === "rejection")
      void Promise.reject(new Error("injected rejection"));
    else throw new Error("injected uncaught exception");
  });
});
