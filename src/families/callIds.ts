/** Tool call ids, and a call as the services report it. */
import { randomInt, randomUUID } from "node:crypto";

export type ParsedToolCall = { id: string; name: string; arguments: string };

export const newToolCallId = () => `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

const alphanumerics = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Nine letters and digits: the only ids Mistral's templates accept. */
export const newAlphanumericCallId = () => Array.from({ length: 9 }, () => alphanumerics[randomInt(alphanumerics.length)]).join("");
