function commandsOf(path: Element): [string, number][] {
  return [...path.getAttribute("d")!.matchAll(/([a-zA-Z])([^a-zA-Z]*)/g)].map(([, command, args]) => [
    command,
    Number(/-?\d+(?:\.\d+)?/.exec(args)?.[0] ?? 0),
  ]);
}

/**
 * What a lane draws, read back from its two paths as shares of the day in percent: each filled
 * rectangle's left edge and width, and where each bar's minimum-width mark stands.
 */
export function readLane(lane: Element) {
  const units = Number(lane.getAttribute("viewBox")!.split(" ")[2]);
  const share = (n: number) => (n / units) * 100;
  const bars: { x: number; width: number }[] = [];
  let x = 0;
  for (const [command, n] of commandsOf(lane.querySelector("path[data-lane-bars]")!)) {
    if (command === "m") x += n;
    else if (command === "h") bars.push({ x: share(x), width: share(n) });
  }
  const marks: number[] = [];
  let mark = 0;
  for (const [command, n] of commandsOf(lane.querySelector("path[data-lane-marks]")!)) {
    if (command === "m") marks.push(share((mark += n)));
  }
  return { bars, marks };
}
