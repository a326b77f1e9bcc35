// Vite serves `?raw` imports as strings (the sample licences are shown from the file itself).
declare module '*.md?raw' {
  const text: string;
  export default text;
}
