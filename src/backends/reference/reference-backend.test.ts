import { runBackendConformance } from "../conformance.js";
import { ReferenceBackend } from "./reference-backend.js";

// The reference against itself checks the suite's plumbing; against transformers it is the spec's test.
runBackendConformance("reference", () => new ReferenceBackend(), { opTolerance: 0, fixtureTolerance: 1e-4 });
