import { runBackendConformance } from "../../backends/conformance.js";
import { AutogradBackend } from "./autograd-backend.js";

// The training backend's forward must compute what the reference computes (same op set, same rounding
// points, except matmul sums in float32 SIMD lanes), through sessions, chunked prefill and generation.
runBackendConformance("autograd", () => new AutogradBackend(), { opTolerance: 1e-5, fixtureTolerance: 1e-4 });
