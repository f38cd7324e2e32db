// The CLI's local Convex backend (see backend.ts): the real convex/ functions under convex-test, over the HTTP API.
//
//   npm run local-backend            # prints CONVEX_URL=... and CONVEX_DEPLOY_KEY=...
//   PORT=3210 CONVEX_DEPLOY_KEY=k npm run local-backend
import { serve } from "./backend";

serve();
