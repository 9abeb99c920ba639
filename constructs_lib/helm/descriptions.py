"""What each key of the values schema does, in our words: the ``description`` of every property of
``values.schema.json`` (an editor shows it on hover and completion).

:data:`DESCRIPTIONS` is looked up per schema definition and key (``"Webserver.replicaCount"``,
``"<root>.postgresql"``), then per key alone (:data:`COMMON`, for keys that mean the same wherever
they appear). Each text says what the key does and how it maps to the library; the schema
generator appends the default (``Default: ...``) from the model, so defaults never drift. A key
of the values model without a description fails ``tests/test_values_schema.py``: add one here.
"""

from __future__ import annotations

__all__ = ["COMMON", "DESCRIPTIONS", "description"]

_POD = "(the pod's; `WorkloadOptions.{}`)"
_BUNDLED = ("Kept on the library's own StatefulSet (the bundled service is the official image, not the bitnami "
            "subchart).")

#: Keys that mean the same in every definition they appear in.
COMMON: dict[str, str] = {
    "nodeSelector": "Node labels the pod must be scheduled on " + _POD.format("node_selector") + ".",
    "affinity": "Kubernetes affinity rules for scheduling the pod " + _POD.format("affinity") + ".",
    "tolerations": "Taints the pod tolerates " + _POD.format("tolerations") + ".",
    "resources": "CPU/memory requests and limits of the main container (`WorkloadOptions.resources`); the "
                 "security profile fills in only what you leave out.",
    "podSecurityContext": "The pod's securityContext (`WorkloadOptions.pod_security_context`); wins key by key over "
                          "the security profile's, and under `hardened` must pass Pod Security \"restricted\".",
    "securityContext": "The main container's securityContext (`WorkloadOptions.security_context`); wins key by key "
                       "over the security profile's, and under `hardened` must pass Pod Security \"restricted\".",
    "schedulerName": "The pod's schedulerName " + _POD.format("scheduler_name") + "; unset: the cluster's default.",
    "labels": "Extra labels on the pods and the workload (`WorkloadOptions.labels`); selector labels cannot be "
              "changed.",
    "annotations": "Annotations on the pods and the workload (`WorkloadOptions.annotations`).",
    "deploymentLabels": "Labels on the Deployment object only (`WorkloadOptions.workload_labels`).",
    "env": "Extra environment variables of the container: a map of names to values, or a list of Kubernetes "
           "EnvVar entries (`valueFrom` allowed) (`WorkloadOptions.env`).",
    "envConfigMaps": "ConfigMaps loaded whole into the container's environment (`envFrom`; "
                     "`WorkloadOptions.env_config_maps`): names or `{name: ...}` entries.",
    "envSecrets": "Secrets loaded whole into the container's environment (`envFrom`; `WorkloadOptions.env_secrets`): "
                  "names or `{name: ...}` entries.",
    "volumes": "Extra pod volumes (Kubernetes Volume entries; `WorkloadOptions.volumes`).",
    "volumeMounts": "Extra mounts of the main container, each naming a volume of the pod "
                    "(`WorkloadOptions.volume_mounts`).",
    "livenessProbe": "Liveness probe of the main container: a full probe replaces the library's, timings only "
                     "(periodSeconds ...) adjust it, `{}` removes it (`WorkloadOptions.liveness_probe`).",
    "readinessProbe": "Readiness probe of the main container: a full probe replaces the library's, timings only "
                      "adjust it, `{}` removes it (`WorkloadOptions.readiness_probe`).",
    "startupProbe": "Startup probe of the main container: a full probe replaces the library's, timings only adjust "
                    "it, `{}` removes it (`WorkloadOptions.startup_probe`).",
    "initContainerResources": "Requests and limits of the wait-for init containers "
                              "(`WorkloadOptions.init_container_resources`).",
    "replicaCount": "Number of pods of the Deployment (`replicas` of its settings).",
    "nameOverride": "Rejected unless empty: object names derive from the release (use `global.fullnameOverride`).",
    "fullnameOverride": "Rejected unless empty: the chart 1.9.3 names objects after `global.fullnameOverride`.",
    "podAnnotations": "Annotations on the bundled service's pod (`WorkloadOptions.annotations`). " + _BUNDLED,
    "podLabels": "Extra labels on the bundled service's pod (`WorkloadOptions.labels`). " + _BUNDLED,
    "containerSecurityContext": "The bundled service's container securityContext "
                                "(`WorkloadOptions.security_context`; bitnami's `{enabled, ...}` form accepted); "
                                "wins key by key over the security profile's. " + _BUNDLED,
    "persistence": "Where the bundled service keeps its data (`Persistence`). " + _BUNDLED,
    "image": "The container image (repository, tag, pull policy).",
    "repository": "Image repository (registry and path).",
    "tag": "Image tag; for the Dagster images, unset means the library's pinned Dagster version.",
    "pullPolicy": "Kubernetes imagePullPolicy of the container (`Always`, `IfNotPresent`, `Never`).",
    "imagePullPolicy": "Kubernetes imagePullPolicy of the launched run pods.",
    "localDir": "Local directory the compute logs are staged in before upload.",
    "prefix": "Key prefix of the uploaded compute logs.",
    "uploadInterval": "Seconds between uploads of partial compute logs; unset: upload when the step ends.",
    "showUrlOnly": "Show only a link to the logs in the UI, not their content.",
    "bucket": "Bucket the compute logs are uploaded to.",
    "jobNamespace": "Namespace the run (and step) Jobs are launched in; unset: the system's namespace. The "
                    "launcher's RBAC is created there.",
    "failPodOnRunFailure": "Make the run pod exit non-zero when the run fails (`fail_pod_on_run_failure`).",
    "configSource": "Extra Celery configuration (a map of Celery settings) merged into each worker's `celery.yaml`.",
    "module": "Python module that defines the class.",
    "class": "Name of the class in `module`.",
    "pathType": "Kubernetes Ingress pathType (`ImplementationSpecific`, `Exact`, `Prefix`).",
    "serviceName": "Name of the Service the path routes to.",
    "servicePort": "Port (number or name) of that Service.",
    "secretName": "Secret holding the TLS certificate and key.",
    "precedingPaths": "Ingress paths placed before the generated one (each with its own Service).",
    "succeedingPaths": "Ingress paths placed after the generated one (each with its own Service).",
    "purgeAfterDays": "Days after which ticks are purged (a number, or a map of tick status to days; -1 keeps "
                      "them).",
    "useThreads": "Evaluate in a thread pool instead of one at a time.",
    "numWorkers": "Size of the thread pool.",
    "numSubmitWorkers": "Threads submitting runs (schedules only).",
    "storageClass": "StorageClass of the claim; `\"-\"` asks for none (`storageClassName: \"\"`); unset: the "
                    "cluster's default (`Persistence.storage_class`).",
    "existingClaim": "An existing PersistentVolumeClaim to keep the data on instead of a claim template "
                     "(`Persistence.existing_claim`).",
}

#: Keys whose meaning depends on where they are (definition name, then key; ``<root>`` for the top level).
DESCRIPTIONS: dict[str, str] = {
    # -- the top level --
    "<root>.additionalInstanceConfig": "Extra top-level sections of dagster.yaml, merged into what the library "
                                       "generates (`InstanceSettings.additional_config`).",
    "<root>.busybox": "The chart's busybox wait-for image. Rejected unless default: the library waits with "
                      "`pg_isready` and Python, no busybox.",
    "<root>.computeLogManager": "Where step stdout/stderr is kept: dagster.yaml `compute_logs` "
                                "(`InstanceSettings.compute_logs`).",
    "<root>.dagster-user-deployments": "Code locations (the user-deployments subchart): each a gRPC server "
                                       "Deployment and Service (`CodeLocationSettings`).",
    "<root>.dagsterDaemon": "The dagster-daemon Deployment: schedules, sensors, run queue, monitoring "
                            "(`DaemonSettings`).",
    "<root>.dagsterWebserver": "The dagster-webserver (UI and GraphQL) Deployment and Service "
                               "(`WebserverSettings`).",
    "<root>.extraManifests": "Extra objects of the chart. Rejected unless empty: add objects to your own cdk8s "
                             "chart.",
    "<root>.flower": "Flower, the Celery monitoring UI (`FlowerSettings`); deployed only with a Celery run "
                     "launcher.",
    "<root>.generateCeleryConfigSecret": "Create the Secret with the Celery broker and backend URLs "
                                         "(`CeleryConfigSecret`); false: bring your own, named by "
                                         "`global.celeryConfigSecretName`.",
    "<root>.generatePostgresqlPasswordSecret": "Create the Secret with the PostgreSQL password; false: bring your "
                                               "own, named by `global.postgresqlSecretName` "
                                               "(`PostgreSqlSettings.existing_secret`).",
    "<root>.global": "Settings shared with the subchart: names, DAGSTER_HOME, Secret names, ServiceAccount.",
    "<root>.imagePullSecrets": "Secrets for pulling images, on every pod of the system, code locations and runs "
                               "included (`DagsterSystemConfig.image_pull_secrets`).",
    "<root>.ingress": "An Ingress for the webserver (and read-only webserver, Flower) (`IngressSettings`).",
    "<root>.migrate": "The Job that runs `dagster instance migrate` (`MigrateSettings`); named after a hash of its "
                      "spec, so a changed Job is a new object.",
    "<root>.networkPolicy": "NetworkPolicies between the system's pods (`NetworkPolicySettings`; an extension "
                            "of this library).",
    "<root>.pipelineRun": "Image and env of the run pods (the ConfigMap `<fullname>-pipeline-env`).",
    "<root>.podDisruptionBudget": "PodDisruptionBudgets for the webserver, code locations and Celery queues "
                                  "(`PodDisruptionBudgetSettings`; an extension of this library).",
    "<root>.postgresql": "The run/event storage database: bundled (a StatefulSet of the official postgres image) "
                         "or external (`PostgreSqlSettings` / `ExternalPostgreSqlSettings`).",
    "<root>.pythonLogs": "dagster.yaml `python_logs`: log level, managed loggers, handlers.",
    "<root>.rabbitmq": "RabbitMQ as the Celery broker: bundled (a StatefulSet of the official rabbitmq image; "
                       "`RabbitMqSettings`).",
    "<root>.rbacEnabled": "Create the Role and RoleBinding the run launcher needs (`RbacSettings.create`).",
    "<root>.redis": "Redis as the Celery broker and result backend: bundled or external (`RedisSettings`).",
    "<root>.retention": "dagster.yaml `retention`: how long schedule, sensor and auto-materialize ticks are kept.",
    "<root>.runLauncher": "How runs are launched: dagster.yaml `run_launcher` (`K8sRunLauncher`, "
                          "`CeleryK8sRunLauncher`, or your own class).",
    "<root>.scheduler": "dagster.yaml `scheduler` (the daemon scheduler or your own class).",
    "<root>.renderSecrets": "Render the Secrets the system needs (an extension of this library); false renders none "
                            "(external-secrets, sealed-secrets): every credential then comes from a Secret you create "
                            "(`generatePostgresqlPasswordSecret: false`, `generateCeleryConfigSecret: false`, "
                            "`rabbitmq.rabbitmq.existingPasswordSecret`, `redis.existingSecret`).",
    "<root>.securityProfile": "Security profile of every pod (`DagsterSystemConfig.security_profile`; an "
                              "extension of this library): `default` works with the stock images, `hardened` "
                              "passes Pod Security \"restricted\". Your own security contexts and resources win.",
    "<root>.serviceAccount": "The ServiceAccount of the Dagster pods (`RbacSettings`).",
    "<root>.telemetry": "dagster.yaml `telemetry.enabled`.",
    "<root>.nameOverride": "Rejected unless empty: the chart 1.9.3 does not name objects after it "
                           "(`global.nameOverride` does).",
    # -- compute logs --
    "AzureBlobComputeLogManager.container": "Blob container of the compute logs.",
    "AzureBlobComputeLogManager.defaultAzureCredential": "Options of DefaultAzureCredential, used when no key is "
                                                         "given.",
    "AzureBlobComputeLogManager.secretKey": "Storage account key (a value or `{env: NAME}`); written as dagster-"
                                            "azure's `access_key_or_sas_token`.",
    "AzureBlobComputeLogManager.storageAccount": "Azure storage account (a value or `{env: NAME}`).",
    "GCSComputeLogManager.jsonCredentialsEnvvar": "Env var holding the service account JSON credentials.",
    "S3ComputeLogManager.endpointUrl": "S3 endpoint URL (for S3-compatible stores).",
    "S3ComputeLogManager.region": "AWS region of the bucket.",
    "S3ComputeLogManager.skipEmptyFiles": "Do not upload empty log files.",
    "S3ComputeLogManager.uploadExtraArgs": "Extra arguments of the S3 upload call (e.g. ServerSideEncryption).",
    "S3ComputeLogManager.useSsl": "Use SSL for S3.",
    "S3ComputeLogManager.verify": "Verify the endpoint's TLS certificate.",
    "S3ComputeLogManager.verifyCertPath": "CA bundle to verify the endpoint's certificate with.",
    "ComputeLogManager.type": "Where compute logs go: `NoOpComputeLogManager`, `LocalComputeLogManager`, "
                              "`S3ComputeLogManager`, `AzureBlobComputeLogManager`, `GCSComputeLogManager` or "
                              "`CustomComputeLogManager` (the library's `*ComputeLogs` classes).",
    "ComputeLogManager.config": "Settings of the chosen compute log manager, under its type's key.",
    "ComputeLogManagerConfig.azureBlobComputeLogManager": "Azure Blob Storage (`AzureBlobComputeLogs`).",
    "ComputeLogManagerConfig.customComputeLogManager": "Your own class (`CustomComputeLogs`).",
    "ComputeLogManagerConfig.gcsComputeLogManager": "Google Cloud Storage (`GCSComputeLogs`).",
    "ComputeLogManagerConfig.s3ComputeLogManager": "Amazon S3 or compatible (`S3ComputeLogs`).",
    "ConfigurableClass.config": "Config passed to the class (as dagster.yaml writes it).",
    # -- bundled services --
    "BundledPersistence.enabled": "Keep the data on a PersistentVolumeClaim; false: an emptyDir, lost with the "
                                  "pod (`Persistence.enabled`).",
    "BundledPersistence.size": "Size of the claim (`Persistence.size`).",
    "BundledPersistence.accessModes": "Access modes of the claim (`Persistence.access_modes`).",
    "BundledPersistence.accessMode": "One access mode, as the rabbitmq subchart spells it (`Persistence."
                                     "access_modes`); not together with `accessModes`.",
    "BundledPod.securityContext": "The pod's securityContext, bitnami's `{enabled, fsGroup, runAsUser}` form or "
                                  "plain (`WorkloadOptions.pod_security_context`); wins key by key over the "
                                  "security profile's. " + _BUNDLED,
    "PostgreSQL.securityContext": "The pod's securityContext, bitnami's `{enabled, fsGroup, runAsUser}` form or "
                                  "plain (`WorkloadOptions.pod_security_context`); wins key by key over the "
                                  "security profile's. " + _BUNDLED,
    "RabbitMQ.securityContext": "The pod's securityContext, bitnami's `{enabled, fsGroup, runAsUser, extra}` form "
                                "or plain (`WorkloadOptions.pod_security_context`); wins key by key over the "
                                "security profile's. " + _BUNDLED,
    "Redis.securityContext": "The Redis pod's securityContext, where the redis subchart spells it (bitnami's "
                             "`{enabled, ...}` form or plain); `redis.master.*` wins. " + _BUNDLED,
    "Redis.containerSecurityContext": "The Redis container's securityContext, where the redis subchart spells it; "
                                      "`redis.master.containerSecurityContext` wins. " + _BUNDLED,
    "BundledPlacement.nodeSelector": "Node labels the PostgreSQL pod must be scheduled on, as the postgresql "
                                     "subchart spells it (`postgresql.master.*`; wins over `postgresql.*`).",
    "BundledPlacement.tolerations": "Taints the PostgreSQL pod tolerates, as the postgresql subchart spells it "
                                    "(added to `postgresql.tolerations`).",
    "BundledPlacement.affinity": "Affinity of the PostgreSQL pod, as the postgresql subchart spells it (wins "
                                 "over `postgresql.affinity`).",
    "BundledPlacement.podAnnotations": "Annotations on the PostgreSQL pod, as the postgresql subchart spells it.",
    "BundledPlacement.podLabels": "Extra labels on the PostgreSQL pod, as the postgresql subchart spells it.",
    "PostgreSQL.enabled": "Run PostgreSQL in the cluster (a StatefulSet of the official image); false: use the "
                          "external server at `postgresqlHost` (`ExternalPostgreSqlSettings`).",
    "PostgreSQL.image": "PostgreSQL image; also the image of the wait-for-database init containers. The chart's "
                        "default becomes the library's pinned official image.",
    "PostgreSQL.master": "Placement of the PostgreSQL pod as the postgresql subchart spells it.",
    "PostgreSQL.postgresqlDatabase": "Database name (`PostgreSqlSettings.database`).",
    "PostgreSQL.postgresqlHost": "Host of an external PostgreSQL (with `enabled: false`).",
    "PostgreSQL.postgresqlParams": "libpq connection parameters (e.g. `sslmode`) added to the connection.",
    "PostgreSQL.postgresqlPassword": "Password of the database user, stored in the generated Secret. Required "
                                     "(no default password) unless you bring your own Secret.",
    "PostgreSQL.postgresqlScheme": "SQLAlchemy scheme Dagster connects with; empty: `postgresql+psycopg2`.",
    "PostgreSQL.postgresqlUsername": "Database user (`PostgreSqlSettings.username`).",
    "PostgreSQL.service": "The PostgreSQL Service: `port`.",
    "RabbitMQ.enabled": "Run RabbitMQ in the cluster as the Celery broker (`RabbitMqSettings`).",
    "RabbitMQ.image": "RabbitMQ image; the chart's bitnami default becomes the library's pinned official image.",
    "RabbitMQ.rabbitmq": "RabbitMQ credentials.",
    "RabbitMQ.service": "The RabbitMQ Service: `port` (AMQP).",
    "RabbitMQ.volumePermissions": "The bitnami permission-fixing init container. Rejected unless default: the "
                                  "official image needs none.",
    "RabbitMQCredentials.password": "RabbitMQ password (required with a bundled RabbitMQ; no default password).",
    "RabbitMQCredentials.username": "RabbitMQ user.",
    "RabbitMQCredentials.existingPasswordSecret": "Your Secret holding the RabbitMQ password under "
                                                  "`rabbitmq-password`, instead of `password` "
                                                  "(`RabbitMqSettings.existing_secret`).",
    "VolumePermissions.enabled": "Rejected unless default (see `rabbitmq.volumePermissions`).",
    "VolumePermissions.image": "Rejected unless default (see `rabbitmq.volumePermissions`).",
    "Redis.enabled": "Use Redis as the Celery broker and backend (`RedisSettings`).",
    "Redis.internal": "Run Redis in the cluster (a StatefulSet of the official image); false: the external "
                      "Redis at `host`.",
    "Redis.usePassword": "Redis requires a password (`password`).",
    "Redis.password": "Redis password (a Secret the pods read).",
    "Redis.existingSecret": "Your Secret holding the Redis password, instead of `password` (needs `usePassword`; "
                            "`RedisSettings.existing_secret`).",
    "Redis.existingSecretPasswordKey": "Key of the password in `existingSecret`; unset: `redis-password`.",
    "Redis.host": "Host of an external Redis.",
    "Redis.port": "Redis port (the bundled Redis listens on it).",
    "Redis.brokerDbNumber": "Redis database number of the Celery broker.",
    "Redis.backendDbNumber": "Redis database number of the Celery result backend.",
    "Redis.brokerUrl": "Full broker URL instead of one built from the keys above.",
    "Redis.backendUrl": "Full backend URL instead of one built from the keys above.",
    "Redis.master": "The bundled Redis pod's settings, as the redis subchart spells them.",
    "Redis.persistence": "The existing claim as the redis subchart spells it.",
    "RedisClaim.existingClaim": "An existing PersistentVolumeClaim for the bundled Redis's data "
                                "(`Persistence.existing_claim`; `redis.master.persistence.existingClaim` wins).",
    # -- webserver --
    "Webserver.dbPoolRecycle": "Seconds after which the webserver recycles database connections "
                               "(`--db-pool-recycle`).",
    "Webserver.dbStatementTimeout": "Database statement timeout in ms (`--db-statement-timeout`).",
    "Webserver.enableReadOnly": "Also deploy a read-only webserver (`WebserverSettings.read_only`).",
    "Webserver.image": "The webserver image (also the migrate Job's); unset tag: the library's Dagster version.",
    "Webserver.logLevel": "The webserver's `--log-level`.",
    "Webserver.pathPrefix": "URL path prefix the UI is served under (`--path-prefix`).",
    "Webserver.service": "The webserver Service: `type`, `port`, `annotations`.",
    "Webserver.workspace": "workspace.yaml of the webserver and daemon: the listed servers or your ConfigMap.",
    "Workspace.enabled": "Use `servers` (or `externalConfigmap`) instead of the code locations deployed here.",
    "Workspace.servers": "gRPC servers of the workspace (host, port, name, ssl).",
    "Workspace.externalConfigmap": "Your own ConfigMap with workspace.yaml.",
    "Server.host": "Host of the gRPC server.",
    "Server.port": "Port of the gRPC server.",
    "Server.name": "Location name shown in the UI.",
    "Server.ssl": "Connect with TLS.",
    "Service.type": "Kubernetes Service type (`ClusterIP`, `NodePort`, `LoadBalancer`).",
    "Service.port": "Service port.",
    "Service.annotations": "Annotations on the Service.",
    # -- daemon --
    "Daemon.enabled": "Deploy the daemon (needed for schedules, sensors, queued runs, monitoring).",
    "Daemon.heartbeatTolerance": "Seconds without a heartbeat before a daemon counts as down "
                                 "(`DAGSTER_DAEMON_HEARTBEAT_TOLERANCE`).",
    "Daemon.image": "The daemon image; unset tag: the library's Dagster version.",
    "Daemon.runCoordinator": "dagster.yaml `run_coordinator`: queue runs (default) or launch them at once.",
    "Daemon.runMonitoring": "dagster.yaml `run_monitoring`: detect and handle runs that hang or die.",
    "Daemon.runRetries": "dagster.yaml `run_retries`: retry failed runs.",
    "Daemon.schedules": "dagster.yaml `schedules`: threads evaluating schedules.",
    "Daemon.sensors": "dagster.yaml `sensors`: threads evaluating sensors.",
    "RunCoordinator.enabled": "Use a run coordinator; false: runs launch at once (`DefaultRunCoordinator`).",
    "RunCoordinator.type": "`QueuedRunCoordinator` or `CustomRunCoordinator`.",
    "RunCoordinator.config": "Settings of the chosen run coordinator, under its type's key.",
    "RunCoordinatorConfig.queuedRunCoordinator": "The queue's limits (`QueuedRunCoordinator`).",
    "RunCoordinatorConfig.customRunCoordinator": "Your own class (`CustomRunCoordinator`).",
    "QueuedRunCoordinatorConfig.blockOpConcurrencyLimitedRuns": "Hold runs whose ops would exceed op concurrency "
                                                                "limits.",
    "QueuedRunCoordinatorConfig.dequeueIntervalSeconds": "Seconds between dequeue passes.",
    "QueuedRunCoordinatorConfig.dequeueNumWorkers": "Threads dequeuing runs.",
    "QueuedRunCoordinatorConfig.dequeueUseThreads": "Dequeue in a thread pool.",
    "QueuedRunCoordinatorConfig.maxConcurrentRuns": "Most runs in progress at once (-1: no limit).",
    "QueuedRunCoordinatorConfig.tagConcurrencyLimits": "Concurrency limits per run tag (key, value, limit).",
    "RunMonitoring.enabled": "Monitor runs.",
    "RunMonitoring.cancelTimeoutSeconds": "Seconds a canceling run may take before it is marked canceled.",
    "RunMonitoring.freeSlotsAfterRunEndSeconds": "Seconds after a run ends before its concurrency slots are "
                                                 "freed.",
    "RunMonitoring.maxResumeRunAttempts": "How often a run whose worker died is resumed.",
    "RunMonitoring.maxRuntimeSeconds": "Runs longer than this are failed (0: no limit).",
    "RunMonitoring.pollIntervalSeconds": "Seconds between checks.",
    "RunMonitoring.startTimeoutSeconds": "Seconds a starting run may take before it is failed.",
    "RunRetries.enabled": "Retry failed runs.",
    "RunRetries.maxRetries": "Retries per run.",
    "RunRetries.retryOnAssetOrOpFailure": "Retry also when an asset or op failed (not only on crashes).",
    "Scheduler.type": "`DagsterDaemonScheduler` or `CustomScheduler`.",
    "Scheduler.config": "Settings of the chosen scheduler, under its type's key.",
    "SchedulerConfig.daemonScheduler": "The daemon scheduler's settings (`DaemonScheduler`).",
    "SchedulerConfig.customScheduler": "Your own class (`CustomScheduler`).",
    "Threads.numSubmitWorkers": "Threads submitting runs from schedules.",
    # -- run launchers --
    "RunLauncher.type": "`K8sRunLauncher` (a Job per run), `CeleryK8sRunLauncher` (Celery workers, a Job per "
                        "step) or `CustomRunLauncher` (the library's `RunLauncher` types).",
    "RunLauncher.config": "Settings of the chosen run launcher, under its type's key.",
    "RunLauncherConfig.k8sRunLauncher": "`K8sRunLauncher` settings.",
    "RunLauncherConfig.celeryK8sRunLauncher": "`CeleryK8sRunLauncher` settings and the Celery workers' "
                                              "Deployments (`CeleryWorkersSettings`).",
    "RunLauncherConfig.customRunLauncher": "Your own class (`CustomRunLauncher`).",
    "K8sRunLauncherConfig.envConfigMaps": "ConfigMaps loaded into the run pods' environment.",
    "K8sRunLauncherConfig.envSecrets": "Secrets loaded into the run pods' environment.",
    "K8sRunLauncherConfig.envVars": "Env vars of the run pods (`NAME=value` or `NAME`, taken from the launcher's "
                                    "env).",
    "K8sRunLauncherConfig.image": "Image of the run pods; unset: the code location's image.",
    "K8sRunLauncherConfig.kubeconfigFile": "kubeconfig the launcher uses instead of the in-cluster config.",
    "K8sRunLauncherConfig.labels": "Labels on the run Jobs and pods.",
    "K8sRunLauncherConfig.loadInclusterConfig": "Use the in-cluster Kubernetes config.",
    "K8sRunLauncherConfig.resources": "Requests and limits of the run pods.",
    "K8sRunLauncherConfig.runK8sConfig": "Raw Kubernetes config merged into each run's Job and pod "
                                         "(`run_k8s_config`).",
    "K8sRunLauncherConfig.schedulerName": "schedulerName of the run pods.",
    "K8sRunLauncherConfig.securityContext": "Container securityContext of the run pods.",
    "K8sRunLauncherConfig.volumeMounts": "Mounts of the run pods' container.",
    "K8sRunLauncherConfig.volumes": "Volumes of the run pods.",
    "RunK8sConfig.containerConfig": "Merged into the run container.",
    "RunK8sConfig.jobMetadata": "Merged into the run Job's metadata.",
    "RunK8sConfig.jobSpecConfig": "Merged into the run Job's spec.",
    "RunK8sConfig.podSpecConfig": "Merged into the run pod's spec.",
    "RunK8sConfig.podTemplateSpecMetadata": "Merged into the run pod's metadata.",
    "CeleryK8sRunLauncherConfig.image": "Image of the Celery workers; unset tag: the library's Dagster version.",
    "CeleryK8sRunLauncherConfig.workerQueues": "Celery queues, a worker Deployment each (`CeleryQueue`).",
    "CeleryK8sRunLauncherConfig.labels": "Extra labels on the worker pods and Deployments.",
    "CeleryK8sRunLauncherConfig.annotations": "Annotations on the worker pods and Deployments.",
    "CeleryWorkerQueue.name": "Queue name (`CeleryQueue.name`); the Deployment is `<fullname>-celery-workers-"
                              "<name>`.",
    "CeleryWorkerQueue.replicaCount": "Worker pods of this queue.",
    "CeleryWorkerQueue.labels": "Extra labels on this queue's pods.",
    "CeleryWorkerQueue.nodeSelector": "nodeSelector of this queue's pods (wins over the launcher's).",
    "CeleryWorkerQueue.configSource": "Celery settings of this queue's workers, over the launcher's.",
    "CeleryWorkerQueue.additionalCeleryArgs": "Extra `celery worker` arguments (after the library's).",
    "CeleryWorkerQueue.autoscaling": "Scale this queue's workers with its length through a KEDA ScaledObject "
                                     "(`QueueAutoscaling`; an extension of this library).",
    "QueueAutoscaling.enabled": "Scale with KEDA instead of a fixed `replicaCount`.",
    "QueueAutoscaling.minReplicaCount": "Fewest workers (0 allowed).",
    "QueueAutoscaling.maxReplicaCount": "Most workers.",
    "QueueAutoscaling.queueLength": "Target messages per worker.",
    "QueueAutoscaling.activationQueueLength": "Queue length above which scaling from zero starts.",
    "QueueAutoscaling.pollingInterval": "Seconds between KEDA's checks of the queue.",
    "QueueAutoscaling.cooldownPeriod": "Seconds after the last activity before scaling to zero.",
    # -- Flower --
    "Flower.enabled": "Deploy Flower (only with a Celery run launcher).",
    "Flower.image": "Flower image; the chart's default becomes the library's pinned one.",
    "Flower.service": "The Flower Service: `type`, `port` (Flower listens on it), `annotations`.",
    # -- global, accounts --
    "Global.celeryConfigSecretName": "Name of the Celery config Secret (yours, with "
                                     "`generateCeleryConfigSecret: false`).",
    "Global.dagsterHome": "DAGSTER_HOME of every Dagster pod.",
    "Global.fullnameOverride": "Prefix of every object name, instead of `<release>-dagster` (`Release`).",
    "Global.nameOverride": "Replaces `dagster` in the object names (`Release`).",
    "Global.postgresqlSecretName": "Name of the PostgreSQL password Secret (yours, with "
                                   "`generatePostgresqlPasswordSecret: false`).",
    "Global.serviceAccountName": "ServiceAccount of every Dagster pod, instead of `<fullname>`.",
    "ServiceAccount.annotations": "Annotations on the ServiceAccount (e.g. a cloud IAM role).",
    "ServiceAccount.create": "Create the ServiceAccount (`RbacSettings.create_service_account`).",
    "ServiceAccount.name": "ServiceAccount name; empty: `<fullname>`.",
    "UserDeploymentsServiceAccount.annotations": "Rejected unless default: set `serviceAccount` at the top level.",
    "UserDeploymentsServiceAccount.create": "Rejected unless default: set `serviceAccount` at the top level.",
    "UserDeploymentsServiceAccount.name": "Rejected unless default: set `serviceAccount` at the top level.",
    # -- code locations --
    "UserDeployments.enabled": "Deploy the code locations listed in `deployments`.",
    "UserDeployments.enableSubchart": "Deploy them (false: only list them in the workspace, run elsewhere).",
    "UserDeployments.deployments": "Code locations, one gRPC server Deployment and Service each "
                                   "(`CodeLocationSettings`).",
    "UserDeployments.imagePullSecrets": "Pull secrets of the code location pods (with the top-level ones).",
    "UserDeployments.celeryConfigSecretName": "Rejected unless default: set `global.celeryConfigSecretName`.",
    "UserDeployments.dagsterHome": "Rejected unless default: set `global.dagsterHome`.",
    "UserDeployments.extraManifests": "Rejected unless empty: add objects to your own cdk8s chart.",
    "UserDeployments.global": "Rejected unless default: set `global` at the top level.",
    "UserDeployments.postgresqlSecretName": "Rejected unless default: set `global.postgresqlSecretName`.",
    "UserDeployments.rbacEnabled": "Rejected unless default: set `rbacEnabled` at the top level.",
    "UserDeployments.serviceAccount": "Rejected unless default: set `serviceAccount` at the top level.",
    "UserDeployment.name": "Location name (`CodeLocationSettings.name`); the Deployment and Service are named "
                           "after it.",
    "UserDeployment.image": "Image with your code and Dagster.",
    "UserDeployment.port": "gRPC port of the server.",
    "UserDeployment.dagsterApiGrpcArgs": "Arguments of `dagster api grpc` (e.g. `--module-name`) "
                                         "(`CodeLocationSettings.grpc_args`).",
    "UserDeployment.codeServerArgs": "Arguments of `dagster code-server start` instead (`code_server_args`).",
    "UserDeployment.deploymentNamespace": "Rejected unless empty: code locations run in the system's namespace.",
    "UserDeployment.includeConfigInLaunchedRuns": "Pass this location's image, env and volumes to its runs "
                                                  "(the container context).",
    "UserDeployment.initContainers": "Init containers of the location's pod.",
    "UserDeployment.sidecarContainers": "Extra containers of the location's pod.",
    "UserDeployment.service": "The location's Service: `annotations`.",
    "IncludeConfigInLaunchedRuns.enabled": "Pass the location's settings to its runs.",
    # -- ingress --
    "Ingress.enabled": "Create the Ingress (`IngressSettings`).",
    "Ingress.apiVersion": "Rejected unless default: always `networking.k8s.io/v1`.",
    "Ingress.dagsterWebserver": "Route to the webserver.",
    "Ingress.readOnlyDagsterWebserver": "Route to the read-only webserver.",
    "Ingress.flower": "Route to Flower.",
    "Ingress.ingressClassName": "IngressClass of the Ingress.",
    "Ingress.labels": "Labels on the Ingress.",
    "Ingress.annotations": "Annotations on the Ingress.",
    "IngressRoute.host": "Host the route answers; empty: any host.",
    "IngressRoute.path": "Path of the route.",
    "IngressRoute.tls": "TLS for this host.",
    "IngressTLS.enabled": "Serve this host over TLS.",
    "IngressPath.path": "URL path of this extra rule.",
    # -- pipeline run, migrate, policies, retention, logs --
    "PipelineRun.image": "Image of the run pods (dagster.yaml's launcher image where the launcher takes one).",
    "PipelineRun.env": "Env of the run pods: a map or a list of name/value entries (the ConfigMap "
                       "`<fullname>-pipeline-env`).",
    "Enabled.enabled": "Turn this on or off.",
    "NetworkPolicy.enabled": "Create the NetworkPolicies.",
    "NetworkPolicy.ingressPeers": "Extra peers (NetworkPolicyPeer entries) allowed to reach the webserver and "
                                  "Flower (e.g. your ingress controller's namespace).",
    "PodDisruptionBudget.enabled": "Create the PodDisruptionBudgets.",
    "PodDisruptionBudget.maxUnavailable": "Most pods down at once (a number or percentage).",
    "PodDisruptionBudget.minAvailable": "Fewest pods up (a number or percentage); not with maxUnavailable.",
    "Retention.enabled": "Purge old ticks.",
    "Retention.schedule": "Retention of schedule ticks.",
    "Retention.sensor": "Retention of sensor ticks.",
    "Retention.autoMaterialize": "Retention of auto-materialize ticks.",
    "PythonLogs.dagsterHandlerConfig": "Handlers and formatters of Dagster's loggers (logging dictConfig).",
    "PythonLogs.managedPythonLoggers": "Python loggers whose output Dagster captures.",
    "PythonLogs.pythonLogLevel": "Level of the captured Python loggers.",
    "Telemetry.enabled": "Send Dagster's anonymous usage statistics.",
    "Busybox.image": "Rejected unless default (see `busybox`).",
}


def description(definition: str, key: str) -> str | None:
    """The description of ``key`` in schema definition ``definition`` (``<root>`` for the top level)."""
    return DESCRIPTIONS.get(f"{definition}.{key}") or COMMON.get(key)
