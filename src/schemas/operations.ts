/** The server's own endpoints: liveness for load balancers and the CLI. */
import { Type } from "typebox";

export const Health = Type.Object({
    status: Type.Union([Type.Literal("ok"), Type.Literal("loading"), Type.Literal("error"), Type.Literal("unloaded")], {
        description: "Without `model`: always ok (the server answers; models load on demand). With `model`: ok when it is loaded, " +
            "loading while a load of it runs, error when its last load failed (until one succeeds), unloaded otherwise"
    }),
    model: Type.Optional(Type.String({ description: "The model asked about, as the catalog names it" })),
    progress: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "loading: how far the load is" })),
    message: Type.Optional(Type.String({ description: "error: why the last load failed" })),
    failed_at: Type.Optional(Type.String({ format: "date-time", description: "error: when the last load failed" }))
});

export const HealthQuery = Type.Object({
    model: Type.Optional(Type.String({ minLength: 1, description: "A model id (or loaded instance id) to ask about; needs the API key when keys are set" }))
});
