import { z } from "zod";
import { explainNameCharacters, MAX_USERNAME_LENGTH } from "../users.ts";

export const ROLES = ["admin", "supervisor", "viewer"] as const;
/** What a token may do: send events (agents), read reports (integrations), read metrics (monitoring). */
export const TOKEN_SCOPES = ["ingest", "read", "metrics"] as const;

export const MIN_PASSWORD_LENGTH = 12;
// scrypt's cost does not grow with the input, but a megabyte-long "password" is no password.
const MAX_PASSWORD_LENGTH = 1024;
const MAX_ACCOUNT_USERNAME_LENGTH = 64;
const MAX_NAME_LENGTH = 100;

/** Trimmed, NFC-normalised text of 1 to `max` characters without control, invisible or direction-changing characters. */
const label = (field: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`) })
    .transform((value) => value.trim().normalize("NFC"))
    .pipe(
      z
        .string()
        .min(1, `${field} must not be empty`)
        .refine((value) => [...value].length <= max, `${field} must be at most ${max} characters`)
        .refine((value) => value.isWellFormed(), `${field} must be valid Unicode text`)
        .check((ctx) => {
          const problem = explainNameCharacters(field, ctx.value);
          if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
        }),
    );

/** An account's username, with messages that name `field`: the form's username, or ADMIN_USERNAME. */
export const accountUsernameSchema = (field: string) => label(field, MAX_ACCOUNT_USERNAME_LENGTH);
export const usernameSchema = accountUsernameSchema("username");
/** An employee's username as the agents report it, such as CORP\alice. */
export const employeeUsernameSchema = label("username", MAX_USERNAME_LENGTH);

export const roleSchema = z.enum(ROLES, { error: 'role must be "admin", "supervisor" or "viewer"' });
export type Role = z.output<typeof roleSchema>;

// Counted in characters, not UTF-16 units, and never trimmed: spaces are part of a passphrase.
export const passwordSchema = z
  .string({ error: (issue) => (issue.input === undefined ? "password is required" : "password must be a string") })
  .refine(
    (value) => [...value].length >= MIN_PASSWORD_LENGTH,
    `password must be at least ${MIN_PASSWORD_LENGTH} characters`,
  )
  .refine(
    (value) => [...value].length <= MAX_PASSWORD_LENGTH,
    `password must be at most ${MAX_PASSWORD_LENGTH} characters`,
  );

/** Whom a supervisor sees: "all" employees, or the members of these teams (none: nobody). */
const scopeSchema = z.union([z.literal("all"), z.array(z.number().int().positive())], {
  error: 'scope must be "all" or a list of team ids',
});

export const accountInputSchema = z.object({
  username: usernameSchema,
  role: roleSchema,
  password: passwordSchema,
  scope: scopeSchema.optional(),
});
export type AccountInput = z.input<typeof accountInputSchema>;

export const tokenScopeSchema = z.enum(TOKEN_SCOPES, { error: 'scope must be "ingest", "read" or "metrics"' });
export type TokenScope = z.output<typeof tokenScopeSchema>;

export const tokenInputSchema = z.object({
  name: label("name", MAX_NAME_LENGTH),
  scope: tokenScopeSchema,
  createdBy: label("createdBy", MAX_NAME_LENGTH),
});
export type TokenInput = z.input<typeof tokenInputSchema>;

export const teamNameSchema = label("name", MAX_NAME_LENGTH);
