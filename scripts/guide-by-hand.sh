#!/usr/bin/env bash
# The bench's baseline: Membrane on AWS ECS as a person following the guide
# (reference/container-services-deployment.md, "AWS ECS" and "Secrets Management / AWS Secrets
# Manager") deploys it by hand, one command after another: look up what the commands need, create
# the five secrets, the log group the task definitions name, register the seven task definitions
# (JSON like the guide's example, with each service's env from membrane-docs), then create the
# seven services in the guide's order, each `aws ecs wait services-stable` before the next.
# No retries, no checks, no idempotency: run it once against an account that has none of it.
#
# Input (environment; the AWS_* variables of the account, e.g. AWS_ENDPOINT_URL of a moto server):
#   VPC_ID                      the VPC of the tasks (required); its first two default subnets and
#                               its `default` security group are used
#   REGION                      default us-east-1
#   CLUSTER                     default membrane-cluster (exists)
#   EXECUTION_ROLE, TASK_ROLE   role names, default ecsTaskExecutionRole, membrane-task-role (exist)
#   TARGET_GROUP_PREFIX         target groups PREFIX-api, PREFIX-ui, PREFIX-console (exist), default membrane
#   DOMAIN IMAGE_TAG            default example.com, 2025-09-19
#   REGISTRY_SERVER REGISTRY_USERNAME   default harbor.integration.app, robot$core+acme
#   MEMBRANE_SECRET MEMBRANE_ENCRYPTION_SECRET MEMBRANE_MONGO_URI MEMBRANE_REDIS_URI
#   MEMBRANE_REGISTRY_PASSWORD  the secret values (required; no `"` or `\` in the registry ones)
#   WORK_DIR                    where the task-definition JSON goes (default: a new temp dir)
#   CALL_LOG                    when set, one line per aws call ("service operation", never values)
set -euo pipefail

: "${VPC_ID:?VPC_ID is required}"
REGION=${REGION:-us-east-1}
CLUSTER=${CLUSTER:-membrane-cluster}
EXECUTION_ROLE=${EXECUTION_ROLE:-ecsTaskExecutionRole}
TASK_ROLE=${TASK_ROLE:-membrane-task-role}
TARGET_GROUP_PREFIX=${TARGET_GROUP_PREFIX:-membrane}
DOMAIN=${DOMAIN:-example.com}
IMAGE_TAG=${IMAGE_TAG:-2025-09-19}
REGISTRY_SERVER=${REGISTRY_SERVER:-harbor.integration.app}
REGISTRY_USERNAME=${REGISTRY_USERNAME:-robot\$core+acme}
WORK_DIR=${WORK_DIR:-$(mktemp -d)}
export AWS_DEFAULT_REGION=$REGION AWS_PAGER=

aws() {
  if [[ -n ${CALL_LOG:-} ]]; then echo "$1 $2" >>"$CALL_LOG"; fi
  command aws "$@"
}

# --- What the commands need: the account, subnets, security group, target groups.
ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)
SUBNETS=$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC_ID" Name=default-for-az,Values=true \
  --query 'sort_by(Subnets, &AvailabilityZone)[:2].SubnetId' --output text | tr '\t' ',')
SECURITY_GROUP=$(aws ec2 describe-security-groups --filters "Name=vpc-id,Values=$VPC_ID" Name=group-name,Values=default \
  --query 'SecurityGroups[0].GroupId' --output text)
declare -A TARGET_GROUP
while read -r name arn; do TARGET_GROUP[${name#"$TARGET_GROUP_PREFIX"-}]=$arn; done < <(
  aws elbv2 describe-target-groups --names "$TARGET_GROUP_PREFIX-api" "$TARGET_GROUP_PREFIX-ui" "$TARGET_GROUP_PREFIX-console" \
    --query 'TargetGroups[].[TargetGroupName,TargetGroupArn]' --output text)

# --- Secrets Manager, as the guide's `aws secretsmanager create-secret`.
secret() { aws secretsmanager create-secret --name "$1" --secret-string "$2" --query ARN --output text; }
JWT_ARN=$(secret membrane/jwt-secret "$MEMBRANE_SECRET")
ENCRYPTION_ARN=$(secret membrane/encryption-secret "$MEMBRANE_ENCRYPTION_SECRET")
MONGO_ARN=$(secret membrane/mongo-uri "$MEMBRANE_MONGO_URI")
REDIS_ARN=$(secret membrane/redis-uri "$MEMBRANE_REDIS_URI")
REGISTRY_ARN=$(secret membrane/registry-credentials "$(printf '{"username":"%s","password":"%s"}' "$REGISTRY_USERNAME" "$MEMBRANE_REGISTRY_PASSWORD")")

# --- The log group the task definitions' awslogs driver writes to.
aws logs create-log-group --log-group-name /ecs/membrane

# --- Task definitions, like the guide's example.
BUCKETS=membrane-${DOMAIN//./-}
ENGINE_ENV=$(cat <<EOF
{"name": "BASE_URI", "value": "https://api.$DOMAIN"},
        {"name": "CUSTOM_CODE_RUNNER_URI", "value": "http://custom-code-runner.membrane.internal:5000"},
        {"name": "CUSTOM_CODE_MEMORY_LIMIT", "value": "21474836480"},
        {"name": "STORAGE_PROVIDER", "value": "s3"},
        {"name": "AWS_REGION", "value": "$REGION"},
        {"name": "TMP_STORAGE_BUCKET", "value": "$BUCKETS-tmp"},
        {"name": "CONNECTORS_STORAGE_BUCKET", "value": "$BUCKETS-connectors"},
        {"name": "STATIC_STORAGE_BUCKET", "value": "$BUCKETS-static"},
        {"name": "BASE_STATIC_URI", "value": "https://static.$DOMAIN"}
EOF
)
ENGINE_SECRETS=$(cat <<EOF
{"name": "SECRET", "valueFrom": "$JWT_ARN"},
        {"name": "ENCRYPTION_SECRET", "valueFrom": "$ENCRYPTION_ARN"},
        {"name": "MONGO_URI", "valueFrom": "$MONGO_ARN"},
        {"name": "REDIS_URI", "valueFrom": "$REDIS_ARN"}
EOF
)

# task_definition SERVICE IMAGE CPU MEMORY HEALTH_PATH EXTRA_ENV SECRETS
task_definition() {
  local service=$1 image=$2 cpu=$3 memory=$4 health=$5 env=$6 secrets=$7
  cat >"$WORK_DIR/membrane-$service.json" <<EOF
{
  "family": "membrane-$service",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "$cpu",
  "memory": "$memory",
  "taskRoleArn": "arn:aws:iam::$ACCOUNT_ID:role/$TASK_ROLE",
  "executionRoleArn": "arn:aws:iam::$ACCOUNT_ID:role/$EXECUTION_ROLE",
  "containerDefinitions": [
    {
      "name": "$service",
      "image": "$REGISTRY_SERVER/$image:$IMAGE_TAG",
      "essential": true,
      "repositoryCredentials": {"credentialsParameter": "$REGISTRY_ARN"},
      "portMappings": [{"containerPort": 5000, "protocol": "tcp"}],
      "environment": [
        {"name": "NODE_ENV", "value": "production"},
        {"name": "PORT", "value": "5000"}${env:+,
        $env}
      ],
      "secrets": [${secrets:+
        $secrets
      }],
      "logConfiguration": {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/ecs/membrane", "awslogs-region": "$REGION", "awslogs-stream-prefix": "$service"}
      },
      "healthCheck": {
        "command": ["CMD-SHELL", "curl -f http://localhost:5000$health || exit 1"],
        "interval": 30,
        "timeout": 5,
        "retries": 3
      }
    }
  ]
}
EOF
  aws ecs register-task-definition --cli-input-json "file://$WORK_DIR/membrane-$service.json" --query taskDefinition.taskDefinitionArn --output text
}

task_definition custom-code-runner core/custom-code-runner 512 2048 /api/v2/health '' ''
task_definition orchestrator core/api 512 2048 / "{\"name\": \"IS_ORCHESTRATOR\", \"value\": \"1\"},
        $ENGINE_ENV" "$ENGINE_SECRETS"
task_definition queued-worker core/api 512 2048 /prometheus/queued-tasks "{\"name\": \"IS_QUEUED_TASKS_WORKER\", \"value\": \"1\"},
        $ENGINE_ENV" "$ENGINE_SECRETS"
task_definition instant-worker core/api 512 2048 / "{\"name\": \"IS_INSTANT_TASKS_WORKER\", \"value\": \"1\"},
        $ENGINE_ENV" "$ENGINE_SECRETS"
task_definition api core/api 1024 2048 / "{\"name\": \"IS_API\", \"value\": \"1\"},
        $ENGINE_ENV" "$ENGINE_SECRETS"
task_definition ui core/ui 512 1024 / "{\"name\": \"NEXT_PUBLIC_ENGINE_URI\", \"value\": \"https://api.$DOMAIN\"}" ''
task_definition console core/console 512 1024 / "{\"name\": \"NEXT_PUBLIC_BASE_URI\", \"value\": \"https://console.$DOMAIN\"},
        {\"name\": \"NEXT_PUBLIC_ENGINE_API_URI\", \"value\": \"https://api.$DOMAIN\"},
        {\"name\": \"NEXT_PUBLIC_ENGINE_UI_URI\", \"value\": \"https://ui.$DOMAIN\"}" ''

# --- Services, in the guide's deployment order, each stable before the next.
for service in custom-code-runner orchestrator queued-worker instant-worker api ui console; do
  load_balancers=()
  if [[ -n ${TARGET_GROUP[$service]:-} ]]; then
    load_balancers=(--load-balancers "targetGroupArn=${TARGET_GROUP[$service]},containerName=$service,containerPort=5000")
  fi
  aws ecs create-service \
    --cluster "$CLUSTER" \
    --service-name "$service" \
    --task-definition "membrane-$service" \
    --desired-count 2 \
    --launch-type FARGATE \
    --network-configuration "awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUP],assignPublicIp=ENABLED}" \
    "${load_balancers[@]}" \
    --query service.serviceArn --output text
  aws ecs wait services-stable --cluster "$CLUSTER" --services "$service"
done
echo "all 7 services stable"
