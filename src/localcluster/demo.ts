// The demo app of the acceptance story, used by `npm start` and the end-to-end tests: an nginx
// Deployment `hello` (2 replicas) and its Service.
import { CASCADE_FINALIZER } from "../model/contract.js";
export function helloDeployment(replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  labels:
    app: hello
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: hello
  template:
    metadata:
      labels:
        app: hello
    spec:
      containers:
        - name: nginx
          image: nginx:1.27-alpine
          ports:
            - containerPort: 80
`;
}

export const helloService = `apiVersion: v1
kind: Service
metadata:
  name: hello
spec:
  selector:
    app: hello
  ports:
    - port: 80
      targetPort: 80
`;

export const DEMO_REPOSITORY = "demo";
export const DEMO_NAMESPACE = "demo";
export const SYSTEM_NAMESPACE = "tether-system";

/** The demo Application: automated sync with prune and self-heal, like a team's first app. */
export function demoApplication(repoURL: string) {
  return {
    apiVersion: "tether.dev/v1alpha1",
    kind: "Application",
    metadata: { name: "hello", namespace: SYSTEM_NAMESPACE, finalizers: [CASCADE_FINALIZER] },
    spec: {
      source: { repoURL, targetRevision: "main", path: "hello" },
      destination: { server: "https://kubernetes.default.svc", namespace: DEMO_NAMESPACE },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
    },
  };
}
