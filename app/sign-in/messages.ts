import { describeWait } from "@/lib/time";

/** What the sign-in page says for the `error` a sign-in answer sent it back with, or null. */
export function signInMessage(error: string | null, seconds: string | null): string | null {
  switch (error) {
    case "invalid":
      return "The username or password is not right.";
    case "missing":
      return "Enter your username and password.";
    case "locked": {
      // Only failures lock; the wait is what the lock has left when the answer was given.
      const left = Number(seconds);
      const when = Number.isFinite(left) && left > 0 ? `in ${describeWait(left)}` : "later";
      return `Too many failed sign-ins: signing in is locked; try again ${when}.`;
    }
    case "unavailable":
      return "The server cannot check sign-ins right now; try again shortly.";
    default:
      return null;
  }
}
