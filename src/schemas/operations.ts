/** The server's own endpoints: liveness for load balancers and the CLI. */
import { Type } from "typebox";

export const Health = Type.Object({
    status: Type.Literal("ok", { description: "The server answers requests; models load on demand, so there is no loading state" })
});
